import type { IncomingHttpHeaders } from "node:http";

/**
 * Per-request cache controls, LiteLLM's: a `cache` object in the body (`no-cache`, `no-store`,
 * `ttl`, `s-maxage`, `namespace`, `use-cache`), or a Cache-Control request header with the same
 * directives (`no-cache`, `no-store`, `s-maxage=N` or `max-age=N`, `ttl=N`). The body wins.
 */
export interface CacheControls {
  /** Do not answer from the cache (the answer may still be stored). */
  noCache: boolean;
  /** Do not store this answer. */
  noStore: boolean;
  ttlMs: number | undefined;
  /** Accept only entries at most this old. */
  maxAgeMs: number | undefined;
  namespace: string | undefined;
  /** Opt in when the cache is default_off. */
  useCache: boolean;
}

export function cacheControls(
  body: Readonly<Record<string, unknown>>,
  headers: IncomingHttpHeaders,
): CacheControls {
  const c: CacheControls = {
    noCache: false,
    noStore: false,
    ttlMs: undefined,
    maxAgeMs: undefined,
    namespace: undefined,
    useCache: false,
  };
  const h = headers["cache-control"];
  if (typeof h === "string") {
    for (const part of h.split(",")) {
      const [name, value] = part.trim().toLowerCase().split("=", 2);
      const n = seconds(value);
      if (name === "no-cache") c.noCache = true;
      else if (name === "no-store") c.noStore = true;
      else if ((name === "s-maxage" || name === "max-age") && n !== undefined) c.maxAgeMs = n;
      else if (name === "ttl" && n !== undefined) c.ttlMs = n;
    }
  }
  const b = body.cache;
  if (b && typeof b === "object" && !Array.isArray(b)) {
    const o = b as Record<string, unknown>;
    if (o["no-cache"] !== undefined) c.noCache = o["no-cache"] === true;
    if (o["no-store"] !== undefined) c.noStore = o["no-store"] === true;
    if (o["use-cache"] !== undefined) c.useCache = o["use-cache"] === true;
    const ttl = seconds(o.ttl);
    if (ttl !== undefined) c.ttlMs = ttl;
    const age = seconds(o["s-maxage"] ?? o["s-max-age"]);
    if (age !== undefined) c.maxAgeMs = age;
    if (typeof o.namespace === "string" && o.namespace !== "") c.namespace = o.namespace;
  }
  return c;
}

/** Seconds (a number or a numeric string, not negative) as ms. */
function seconds(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}
