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

type Store = MemoryStore | CacheStore;

interface Found {
  entry: CacheEntry | undefined;
  /** Bytes of the entry as stored. */
  bytes: number;
}

const NONE: Found = { entry: undefined, bytes: 0 };

/**
 * The response cache: entries in memory or in Redis (one per geography where configured), keyed by
 * cache/key.ts. A lookup serves an entry only if its producing geography passes the caller's policy
 * through the one region filter (router/filters.ts); a store failure skips the cache, logged
 * (rate-limited) and counted, never an error to the client.
 */
export class ResponseCache {
  readonly metrics: CacheMetrics;
  private readonly main: Store;
  private readonly byGeo = new Map<Geography, Store>();
  private readonly all: Store[];
  private readonly limiter = new RepeatLimiter({ burst: 1, windowMs: 30_000, maxKinds: 32 });
  /** A store that just failed is left alone this long: a hung Redis costs one timeout, not one per request. */
  private readonly restUntil = new Map<Store, number>();

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
  storeFor(geo: Geography | undefined): Store {
    return (geo && this.byGeo.get(geo)) || this.main;
  }

  /** Every store that can hold an entry this policy may be served: those of its geographies. */
  storesFor(policy: RegionPolicy): Store[] {
    if (policy.allowed === null || this.byGeo.size === 0) return this.all;
    const out = new Set<Store>();
    for (const g of policy.allowed) out.add(this.storeFor(g));
    return [...out];
  }

  async lookup(key: string, policy: RegionPolicy, maxAgeMs: number | undefined): Promise<Found> {
    const stores = this.storesFor(policy);
    const found =
      stores.length === 1
        ? [await this.read(stores[0], key)]
        : await Promise.all(stores.map((s) => this.read(s, key)));
    for (const f of found) {
      const entry = f.entry;
      if (!entry) continue;
      // The residency check, whatever the key said: the one region rule decides.
      if (!geographyAllowed(policy, entry.geo ?? undefined)) {
        this.metrics.dropped.inc({ reason: "out_of_policy" });
        continue;
      }
      if (maxAgeMs !== undefined && Date.now() - entry.at > maxAgeMs) continue;
      return f;
    }
    return NONE;
  }

  /** Write an entry (in the background: the answer never waits for it). */
  save(key: string, entry: CacheEntry, ttlMs: number, group: string): void {
    if (Buffer.byteLength(entry.body) > this.config.maxItemBytes) {
      this.metrics.dropped.inc({ reason: "too_large" });
      return;
    }
    const text = encodeEntry(entry);
    const labels = { model_group: group, geography: entry.geo ?? "none" };
    const stored = () => {
      this.metrics.stores.inc(labels);
      this.metrics.storedBytes.inc(labels, text.length);
    };
    const store = this.storeFor(entry.geo ?? undefined);
    if (store instanceof MemoryStore) {
      // a JS string takes two bytes per UTF-16 unit
      if (store.lru.set(key, { entry, bytes: text.length }, 2 * text.length, ttlMs)) stored();
      this.metrics.memoryBytes.set(store.lru.bytes);
      return;
    }
    if (this.resting(store)) return;
    store.set(key, text, ttlMs).then(stored, (err) => this.failed(store, "set", err));
  }

  /** Every Redis of the cache is connected (always true for the in-memory cache). */
  ready(): boolean {
    return this.all.every((s) => s instanceof MemoryStore || s.ready);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((s) => (s instanceof MemoryStore ? undefined : s.close())));
  }

  private async read(store: Store, key: string): Promise<Found> {
    if (store instanceof MemoryStore) return store.lru.get(key) ?? NONE;
    if (this.resting(store)) return NONE;
    let text: string | undefined;
    try {
      text = await store.get(key);
    } catch (err) {
      this.failed(store, "get", err);
      return NONE;
    }
    if (text === undefined) return NONE;
    const entry = decodeEntry(text);
    if (!entry) {
      this.metrics.dropped.inc({ reason: "unparseable" });
      void store.delete(key).catch(() => {});
      return NONE;
    }
    return { entry, bytes: text.length };
  }

  private resting(store: Store): boolean {
    const until = this.restUntil.get(store);
    if (until === undefined) return false;
    if (Date.now() < until) {
      this.metrics.errors.inc({ store: store.name, op: "skip" });
      return true;
    }
    this.restUntil.delete(store);
    return false;
  }

  private failed(store: CacheStore, op: "get" | "set", err: unknown): void {
    this.metrics.errors.inc({ store: store.name, op });
    this.restUntil.set(store, Date.now() + REST_MS);
    const message = `response cache: ${store.name} ${op} failed, cache skipped (requests are still served)`;
    const v = this.limiter.admit(`${store.name}\u0000${op}`, (dropped, windowMs) =>
      this.logger.warn({ store: store.name, op, repeated: dropped, window_ms: windowMs }, message),
    );
    if (v !== "drop") this.logger.warn({ store: store.name, op, reason: (err as Error).message }, message);
  }
}
