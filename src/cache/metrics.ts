import { Counter, Gauge, Registry } from "prom-client";

/**
 * The cache's Prometheus metrics. Labels are bounded: model group, and geography — the producing
 * deployment's for hits and stores, the caller's allowed set ("*" unrestricted) for misses.
 */
export class CacheMetrics {
  readonly registry: Registry;
  readonly hits: Counter;
  readonly misses: Counter;
  readonly hitBytes: Counter;
  readonly storedBytes: Counter;
  readonly stores: Counter;
  readonly dropped: Counter;
  readonly errors: Counter;
  readonly memoryBytes: Gauge;

  constructor(registry?: Registry) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    const byGroupGeo = ["model_group", "geography"];
    this.hits = new Counter({
      name: "meridian_cache_hits_total",
      help: "Requests answered from the response cache",
      labelNames: byGroupGeo,
      registers,
    });
    this.misses = new Counter({
      name: "meridian_cache_misses_total",
      help: "Cache lookups that found no usable entry (geography: the caller's allowed set)",
      labelNames: byGroupGeo,
      registers,
    });
    this.hitBytes = new Counter({
      name: "meridian_cache_hit_bytes_total",
      help: "Bytes of cached answers served",
      labelNames: byGroupGeo,
      registers,
    });
    this.storedBytes = new Counter({
      name: "meridian_cache_stored_bytes_total",
      help: "Bytes of answers written to the cache",
      labelNames: byGroupGeo,
      registers,
    });
    this.stores = new Counter({
      name: "meridian_cache_stores_total",
      help: "Answers written to the cache",
      labelNames: byGroupGeo,
      registers,
    });
    this.dropped = new Counter({
      name: "meridian_cache_dropped_total",
      help: "Entries not served or not stored: unparseable, too_large, out_of_policy, incomplete_stream",
      labelNames: ["reason"],
      registers,
    });
    this.errors = new Counter({
      name: "meridian_cache_errors_total",
      help: "Cache store failures (Redis down or slow; op get/set) and calls skipped after one (op skip): the cache was skipped, the request served",
      labelNames: ["store", "op"],
      registers,
    });
    this.memoryBytes = new Gauge({
      name: "meridian_cache_memory_bytes",
      help: "Bytes held by the in-memory cache",
      registers,
    });
  }
}
