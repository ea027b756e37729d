import { createHash } from "node:crypto";
import type { RegionPolicy } from "../router/filters.js";

/**
 * Request fields that do not change the answer: who asks (`user`, `metadata`), how it is delivered
 * (`stream`, `stream_options`: a streamed and a whole answer are the same answer), and what only
 * the gateway reads (cache controls, routing and credential overrides, which never reach upstream).
 */
const IGNORED = new Set([
  "model",
  "user",
  "metadata",
  "litellm_metadata",
  "stream",
  "stream_options",
  "cache",
  "timeout",
  "request_timeout",
  "fallbacks",
  "num_retries",
  "context_window_fallback_dict",
  "litellm_logging_obj",
  "api_key",
  "api_base",
  "base_url",
  "api_version",
]);

/**
 * The cache key: a sha256 over the operation, the model group, the caller's effective policy (its
 * allowed geographies) and the request body in a canonical form (keys sorted at every depth,
 * ignored fields left out). Callers with different policies never share a key; the lookup also
 * checks each entry's producing geography against the policy, so a bug here still cannot leak.
 */
export function cacheKey(
  op: string,
  group: string,
  policy: RegionPolicy,
  body: Readonly<Record<string, unknown>>,
): string {
  let material = `v1\u0000${op}\u0000${group}\u0000${policy.key}\u0000`;
  for (const k of Object.keys(body).sort()) {
    if (IGNORED.has(k) || body[k] === undefined) continue;
    material += `${JSON.stringify(k)}:${canonical(body[k])};`;
  }
  return createHash("sha256").update(material).digest("hex");
}

/** JSON with object keys sorted at every depth (undefined members dropped, as JSON.stringify does). */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonical(x))).join(",")}]`;
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(o).sort()) {
    if (o[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonical(o[k])}`);
  }
  return `{${parts.join(",")}}`;
}
