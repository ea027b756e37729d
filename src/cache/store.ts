import type { CacheEntry } from "./entry.js";
import { ByteLru } from "./lru.js";

/** One Redis's worth of entries, as text. Failures reject; the cache decides what to do. */
export interface CacheStore {
  /** For logs and metrics: "redis" or "redis:<geography>" (never a URL). */
  readonly name: string;
  /** Connected: until then (and while down) calls fail at once. */
  readonly ready: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The in-memory cache: entries kept as objects (written by this process, so never parsed again),
 * bounded by the bytes of their stored form.
 */
export class MemoryStore {
  readonly name = "memory";
  readonly lru: ByteLru<{ entry: CacheEntry; bytes: number }>;

  constructor(maxBytes: number) {
    this.lru = new ByteLru(maxBytes);
  }
}
