import { type Dispatcher, Pool } from "undici";
import type { CancelSignal } from "./cancel.js";

/**
 * One keep-alive undici Pool per upstream origin, shared by every deployment on that origin.
 * Timeouts are per request (per deployment), so pools carry only connection settings.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly connectionsPerOrigin = 256) {}

  get(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: this.connectionsPerOrigin,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: 10_000 },
        pipelining: 1,
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => p.destroy())));
    this.pools.clear();
  }
}

export interface SendOptions {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** undici takes any object with AbortSignal's listener methods. */
  signal: AbortSignal | CancelSignal;
  /** Time allowed until response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence allowed between body chunks. */
  bodyTimeoutMs: number;
}

export function send(pool: Pool, o: SendOptions): Promise<Dispatcher.ResponseData> {
  return pool.request({
    method: "POST",
    path: o.path,
    headers: o.headers,
    body: o.body,
    signal: o.signal as AbortSignal,
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
  });
}
