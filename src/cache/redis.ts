import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { CacheStore } from "./store.js";

// ioredis is loaded when a Redis cache is made, not at startup: most gateways have none, and
// requiring it cost every cold start tens of milliseconds (it is outside the bundle's code cache).
const load = createRequire(import.meta.url);

/**
 * One Redis holding cache entries, with a TTL per entry (PX). Every call is bounded by `timeoutMs`:
 * a Redis that is down fails at once (no offline queue), one that hangs with its connections open
 * fails after the timeout. The caller skips the cache on either; it never waits longer than that.
 */
export class RedisStore implements CacheStore {
  private readonly client: Redis;

  constructor(
    readonly name: string,
    url: string,
    private readonly timeoutMs: number,
  ) {
    const { Redis: Client } = load("ioredis") as typeof import("ioredis");
    this.client = new Client(url, {
      connectTimeout: 2_000,
      commandTimeout: timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // keep reconnecting: the cache resumes by itself when Redis is back
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000),
      connectionName: "meridian-cache",
    });
    // Failures are reported per call by the cache (rate-limited); the connection's own errors too
    // would only repeat them.
    this.client.on("error", () => {});
  }

  /** Connected and usable (while connecting or down, calls fail at once). */
  get ready(): boolean {
    return this.client.status === "ready";
  }

  get(key: string): Promise<string | undefined> {
    return this.bounded(this.client.get(key)).then((v) => v ?? undefined);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.bounded(this.client.set(key, value, "PX", Math.max(1, Math.round(ttlMs))));
  }

  async delete(key: string): Promise<void> {
    await this.bounded(this.client.del(key));
  }

  async close(): Promise<void> {
    if (this.client.status === "ready") await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  /** commandTimeout covers a sent command; this also covers one stuck before it is sent. */
  private bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }
}
