import { z } from "zod";
import { type Geography, isGeography } from "../regions/table.js";
import type { Problem } from "./problem.js";

/**
 * `litellm_settings.cache` / `cache_params`: LiteLLM's names, read for the response cache
 * (src/cache/). Meridian adds a Redis per geography (`geographies`), so cached answers produced in a
 * geography can be kept where the operator keeps that geography's data, and a size cap per entry.
 */

const num = z.union(
  [
    z.number(),
    z
      .string()
      .regex(/^\d+(\.\d+)?$/)
      .transform(Number),
  ],
  {
    error: "expected a number",
  },
);

const redisTarget = {
  host: z.string().optional(),
  port: num.optional(),
  password: z.string().optional(),
  redis_url: z.string().optional(),
  url: z.string().optional(),
};

export const cacheParamsSchema = z.object({
  // LiteLLM's other types (redis-semantic, s3, disk, …) are accepted and reported: the cache stays off.
  type: z.string().optional(),
  mode: z.enum(["default_on", "default_off"]).optional(),
  ttl: num.optional(),
  default_in_memory_ttl: num.optional(),
  default_in_redis_ttl: num.optional(),
  namespace: z.string().min(1).optional(),
  supported_call_types: z.array(z.string()).optional(),
  ...redisTarget,
  /** Meridian: a Redis for the answers produced in one geography, e.g. `eu: {host: ...}`. */
  geographies: z.record(z.string(), z.object(redisTarget)).optional(),
  /** Meridian: the in-memory cache's bound, in MB (default 64). */
  max_size_in_memory_mb: num.optional(),
  /** Meridian: answers larger than this (KB, default 1024) are not cached. */
  max_item_size_kb: num.optional(),
  /** Meridian: how long one Redis read or write may take before the cache is skipped, ms (default 250). */
  redis_timeout_ms: num.optional(),
});

export type CacheParams = z.infer<typeof cacheParamsSchema>;

/** Operations the cache can hold, by LiteLLM's call type names (sync and async alike). */
const CALL_TYPES: Readonly<Record<string, string>> = {
  completion: "chat",
  acompletion: "chat",
  text_completion: "completions",
  atext_completion: "completions",
  embedding: "embeddings",
  aembedding: "embeddings",
  // The Responses API (being built on another branch) keys and stores like the others; its stream
  // replay needs its own shape in src/cache/replay.ts before its streams are cached.
  responses: "responses",
  aresponses: "responses",
};

export interface CacheConfig {
  type: "local" | "redis";
  /** default_off: only requests with `cache: {"use-cache": true}` use it. */
  mode: "default_on" | "default_off";
  ttlMs: number;
  namespace: string | undefined;
  /** Operations (Operation names) whose answers are cached. */
  operations: ReadonlySet<string>;
  maxMemoryBytes: number;
  maxItemBytes: number;
  /** type redis: the Redis every geography without its own uses. */
  redisUrl: string | undefined;
  geographyRedis: ReadonlyMap<Geography, string>;
  redisTimeoutMs: number;
}

const DEFAULT_TTL_S = 600;

export function normalizeCache(
  enabled: boolean | undefined,
  p: CacheParams | undefined,
  sharedRedisUrl: string | undefined,
  problems: Problem[],
  notices: Problem[],
): CacheConfig | undefined {
  if (!enabled) return undefined;
  const at = (...k: Array<string | number>) => ["litellm_settings", "cache_params", ...k];
  const type = p?.type ?? "local";
  if (type !== "local" && type !== "redis") {
    notices.push({
      path: at("type"),
      message: `cache type "${type}" is not supported (local and redis are): the response cache is off`,
    });
    return undefined;
  }
  const operations = new Set<string>();
  for (const [i, t] of (p?.supported_call_types ?? Object.keys(CALL_TYPES)).entries()) {
    const op = CALL_TYPES[t];
    if (op) operations.add(op);
    else if (!KNOWN_UNCACHED.has(t))
      problems.push({ path: at("supported_call_types", i), message: `unknown call type "${t}"` });
  }
  const geographyRedis = new Map<Geography, string>();
  for (const [g, target] of Object.entries(p?.geographies ?? {})) {
    if (!isGeography(g)) {
      problems.push({ path: at("geographies", g), message: `"${g}" is not a geography` });
      continue;
    }
    const url = redisUrlOf(target);
    if (!url)
      problems.push({ path: at("geographies", g), message: "needs host (and port, password) or url" });
    else if (checkUrl(url)) problems.push({ path: at("geographies", g), message: checkUrl(url) as string });
    else geographyRedis.set(g, url);
  }
  let redisUrl: string | undefined;
  if (type === "redis") {
    redisUrl = (p && redisUrlOf(p)) ?? sharedRedisUrl;
    if (!redisUrl)
      problems.push({
        path: at("type"),
        message: "type redis needs host/port/password or url here, or redis_url / REDIS_URL",
      });
    else if (checkUrl(redisUrl)) problems.push({ path: at("host"), message: checkUrl(redisUrl) as string });
  }
  const ttlS =
    p?.ttl ?? (type === "local" ? p?.default_in_memory_ttl : p?.default_in_redis_ttl) ?? DEFAULT_TTL_S;
  return {
    type,
    mode: p?.mode ?? "default_on",
    ttlMs: ttlS * 1000,
    namespace: p?.namespace,
    operations,
    maxMemoryBytes: Math.floor((p?.max_size_in_memory_mb ?? 64) * 1024 * 1024),
    maxItemBytes: Math.floor((p?.max_item_size_kb ?? 1024) * 1024),
    redisUrl,
    geographyRedis,
    redisTimeoutMs: p?.redis_timeout_ms ?? 250,
  };
}

/** LiteLLM call types Meridian has no endpoint for: accepted, nothing to cache. */
const KNOWN_UNCACHED = new Set([
  "transcription",
  "atranscription",
  "rerank",
  "arerank",
  "speech",
  "aspeech",
  "image_generation",
  "aimage_generation",
  "moderation",
  "amoderation",
]);

function redisUrlOf(t: {
  host?: string;
  port?: number;
  password?: string;
  url?: string;
  redis_url?: string;
}): string | undefined {
  if (t.url ?? t.redis_url) return t.url ?? t.redis_url;
  if (!t.host) return undefined;
  const auth = t.password ? `:${encodeURIComponent(t.password)}@` : "";
  return `redis://${auth}${t.host}:${t.port ?? 6379}`;
}

function checkUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== "redis:" && u.protocol !== "rediss:")
      return "Redis URL must start with redis:// or rediss://";
    return u.hostname ? undefined : "Redis address has no host";
  } catch {
    return "not a usable Redis address";
  }
}
