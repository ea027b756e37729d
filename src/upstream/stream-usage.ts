import { splitEvents } from "../wire/sse.js";
import { hasUsageObject, type Usage, usageOf } from "../wire/usage.js";

/**
 * Watches a passthrough (OpenAI-format) stream for its usage chunk. Meridian asks upstream for usage
 * on every stream (tpm routing and accounting need it); a client that did not ask must not receive
 * the extra chunk, so that one event is taken out — every other byte passes unchanged.
 */
export class StreamUsageTap {
  usage: Usage | undefined;

  constructor(private readonly clientAsked: boolean) {}

  /** Whole events in, the bytes to forward out (the same Buffer unless the usage event is removed). */
  take(events: Buffer): Buffer | undefined {
    if (!hasUsageObject(events)) return events;
    // Rare: once per stream. Look at the events one by one for the one that carries usage.
    const kept: Buffer[] = [];
    for (const one of splitEvents(events)) {
      if (hasUsageObject(one)) {
        this.usage = usageOf(one) ?? this.usage;
        if (!this.clientAsked && isUsageOnly(one)) continue;
      }
      kept.push(one);
    }
    if (kept.length === 0) return undefined;
    return kept.length === 1 ? kept[0] : Buffer.concat(kept);
  }
}

/** OpenAI's usage chunk: `choices` is empty. */
function isUsageOnly(event: Buffer): boolean {
  const s = event.toString("utf8");
  const data = s.slice(s.indexOf("data:") + 5).trim();
  try {
    const v = JSON.parse(data) as { choices?: unknown };
    return Array.isArray(v.choices) && v.choices.length === 0;
  } catch {
    return false;
  }
}
