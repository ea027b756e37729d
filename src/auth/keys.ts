import type { IncomingHttpHeaders } from "node:http";

/**
 * The API key a client sent, LiteLLM's order (first found wins): x-litellm-api-key,
 * Authorization: Bearer, api-key (Azure SDKs), x-api-key (Anthropic SDKs), x-goog-api-key,
 * Ocp-Apim-Subscription-Key.
 */
export function presentedKey(h: IncomingHttpHeaders): string | undefined {
  const direct = one(h["x-litellm-api-key"]);
  if (direct) return stripBearer(direct);
  const auth = one(h.authorization);
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return (
    one(h["api-key"]) ??
    one(h["x-api-key"]) ??
    one(h["x-goog-api-key"]) ??
    one(h["ocp-apim-subscription-key"])
  );
}

function one(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== "" ? s.trim() : undefined;
}

function stripBearer(v: string): string {
  return v.replace(/^Bearer\s+/i, "");
}

/**
 * Compares in constant time: the loop always runs over the master key's length and never exits
 * early, so neither the key's content nor how much of it a guess got right shows in the timing.
 * (A sha256 of each candidate did the same at ~30x the cost per request.)
 */
export class MasterKey {
  constructor(private readonly key: string) {}
  matches(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate.length === 0) return false;
    const k = this.key;
    let diff = k.length ^ candidate.length;
    for (let i = 0; i < k.length; i++) diff |= k.charCodeAt(i) ^ candidate.charCodeAt(i % candidate.length);
    return diff === 0;
  }
}
