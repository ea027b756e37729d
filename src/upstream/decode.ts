import type { AttemptInput, Decoded, Provider } from "../providers/contract.js";
import type { CallResult } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import { usageOf } from "../wire/usage.js";
import { invalidReply, notJsonObject } from "./reply-check.js";

/**
 * A 2xx non-streaming body, checked before anything is committed: what the client will rely on is
 * that it parses. A passthrough body must be a JSON object (it is forwarded byte for byte; usage read
 * off its tail); a translating provider's decode must succeed. Anything else is the upstream's
 * failure — retried or fallen over within the region like a 5xx.
 */
export function decodeBuffered(
  provider: Provider,
  d: Deployment,
  a: AttemptInput,
  body: Buffer,
  what: string,
): CallResult<Decoded> {
  if (provider.passthrough || !provider.decode) {
    const broken = notJsonObject(body);
    if (broken) return { ok: false, failure: invalidReply(what, broken) };
    return { ok: true, value: { body, usage: usageOf(body) } };
  }
  try {
    return { ok: true, value: provider.decode(d, a, body) };
  } catch (err) {
    return { ok: false, failure: invalidReply(what, (err as Error).message) };
  }
}
