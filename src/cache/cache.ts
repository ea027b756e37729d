import type { CacheConfig } from "../config/cache-params.js";
import type { Logger } from "../observability/logger.js";
import { RepeatLimiter } from "../observability/repeat-limiter.js";
import type { Geography } from "../regions/table.js";
import { geographyAllowed, type RegionPolicy } from "../router/filters.js";
import { type CacheEntry, decodeEntry, encodeEntry } from "./entry.js";
import { CacheMetrics } from "./metrics.js";
import { RedisStore } from "./redis.js";
import { type CacheStore, MemoryStore } from "./store.js";

const DEFAULT_NAMESPACE = "meridian:cache";

/** After a Redis failure, how long the cache skips that Redis before trying it again. */
const REST_MS = 1_000;

export interface LookupResult {
  entry: CacheEntry | undefined;
  /** Bytes of the entry as stored. */
  bytes: number;
}

/**
 * The response cache: entries in memory or in Redis (one per geography where configured), keyed by
 * cache/key.ts. A lookup serves an entry only if its producing geography passes the caller's policy
 * through the one region filter (router/filters.ts); a store failure skips the cache, logged
 * (rate-limited) and counted, never an error to the client.
 */
export class ResponseCache {
  readonly metrics: CacheMetrics;
  private readonly main: CacheStore;
  private readonly byGeo = new Map<Geography, CacheStore>();
  private readonly all: CacheStore[];
  private readonly limiter = new RepeatLimiter({ burst: 1, windowMs: 30_000, maxKinds: 32 });
  /** A store that just failed is left alone this long: a hung Redis costs one timeout, not one per request. */
  private readonly restUntil = new Map<CacheStore, number>();

  constructor(
    readonly config: CacheConfig,
    private readonly logger: Logger,
    metrics?: CacheMetrics,
  ) {
    this.metrics = metrics ?? new CacheMetrics();
    this.main =
      config.type === "redis" && config.redisUrl
        ? new RedisStore("redis", config.redisUrl, config.redisTimeoutMs)
        : new MemoryStore(config.maxMemoryBytes);
    for (const [g, url] of config.geographyRedis)
      this.byGeo.set(g, new RedisStore(`redis:${g}`, url, config.redisTimeoutMs));
    this.all = [this.main, ...this.byGeo.values()];
  }

  /** The stored key for a hash: namespace (the request's, else cache_params', else ours) + ":" + hash. */
  storedKey(hash: string, namespace: string | undefined): string {
    return `${namespace ?? this.config.namespace ?? DEFAULT_NAMESPACE}:${hash}`;
  }

  /** Where an answer produced in `geo` is written. */
  storeFor(geo: Geography | undefined): CacheStore {
    return (geo && this.byGeo.get(geo)) || this.main;
  }

  /** Every store that can hold an entry this policy may be served: those of its geographies. */
  storesFor(policy: RegionPolicy): CacheStore[] {
    if (policy.allowed === null) return this.all;
    const out = new Set<CacheStore>();
    for (const g of policy.allowed) out.add(this.storeFor(g));
    return [...out];
  }

  async lookup(key: string, policy: RegionPolicy, maxAgeMs: number | undefined): Promise<LookupResult> {
    const stores = this.storesFor(policy);
    const texts = await Promise.all(stores.map((s) => this.read(s, key)));
    for (const [i, text] of texts.entries()) {
      if (text === undefined) continue;
      const entry = decodeEntry(text);
      if (!entry) {
        this.metrics.dropped.inc({ reason: "unparseable" });
        void this.remove(stores[i], key);
        continue;
      }
      // The residency check, whatever the key said: the one region rule decides.
      if (!geographyAllowed(policy, entry.geo ?? undefined)) {
        this.metrics.dropped.inc({ reason: "out_of_policy" });
        continue;
      }
      if (maxAgeMs !== undefined && Date.now() - entry.at > maxAgeMs) continue;
      return { entry, bytes: text.length };
    }
    return { entry: undefined, bytes: 0 };
  }

  /** Write an entry (in the background: the answer never waits for it). */
  save(key: string, entry: CacheEntry, ttlMs: number, group: string): void {
    const text = encodeEntry(entry);
    if (Buffer.byteLength(entry.body) > this.config.maxItemBytes) {
      this.metrics.dropped.inc({ reason: "too_large" });
      return;
    }
    const store = this.storeFor(entry.geo ?? undefined);
    if (this.resting(store)) return;
    store.set(key, text, ttlMs).then(
      () => {
        const labels = { model_group: group, geography: entry.geo ?? "none" };
        this.metrics.stores.inc(labels);
        this.metrics.storedBytes.inc(labels, text.length);
        if (store instanceof MemoryStore) this.metrics.memoryBytes.set(store.lru.bytes);
      },
      (err) => this.failed(store, "set", err),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((s) => s.close()));
  }

  private resting(store: CacheStore): boolean {
    const until = this.restUntil.get(store);
    if (until === undefined) return false;
    if (Date.now() < until) {
      this.metrics.errors.inc({ store: store.name, op: "skip" });
      return true;
    }
    this.restUntil.delete(store);
    return false;
  }

  private async read(store: CacheStore, key: string): Promise<string | undefined> {
    if (this.resting(store)) return undefined;
    try {
      return await store.get(key);
    } catch (err) {
      this.failed(store, "get", err);
      return undefined;
    }
  }

  private async remove(store: CacheStore, key: string): Promise<void> {
    await store.delete(key).catch(() => {});
  }

  private failed(store: CacheStore, op: "get" | "set", err: unknown): void {
    this.metrics.errors.inc({ store: store.name, op });
    if (store.name !== "memory") this.restUntil.set(store, Date.now() + REST_MS);
    const message = `response cache: ${store.name} ${op} failed, cache skipped (requests are still served)`;
    const v = this.limiter.admit(`${store.name}\u0000${op}`, (dropped, windowMs) =>
      this.logger.warn({ store: store.name, op, repeated: dropped, window_ms: windowMs }, message),
    );
    if (v !== "drop") this.logger.warn({ store: store.name, op, reason: (err as Error).message }, message);
  }
}
