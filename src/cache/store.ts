import { ByteLru } from "./lru.js";

/** Where entries live: the in-memory LRU or one Redis. Failures reject; the cache decides what to do. */
export interface CacheStore {
  /** For logs and metrics: "memory", "redis" or "redis:<geography>" (never a URL). */
  readonly name: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryStore implements CacheStore {
  readonly name = "memory";
  readonly lru: ByteLru;

  constructor(maxBytes: number) {
    this.lru = new ByteLru(maxBytes);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.lru.get(key));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.lru.set(key, value, ttlMs);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.lru.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
