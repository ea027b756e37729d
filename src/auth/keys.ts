import { createHash, timingSafeEqual } from "node:crypto";
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

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compares in constant time (over sha256 digests, so lengths never leak either). */
export class MasterKey {
  private readonly hash: Buffer;
  constructor(key: string) {
    this.hash = digest(key);
  }
  matches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    return timingSafeEqual(this.hash, digest(candidate));
  }
}
