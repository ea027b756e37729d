import { randomBytes } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../observability/logger.js";

export interface RedisLinkOptions {
  url: string;
  logger: Logger;
  /** Namespace for every key and channel (several gateways or test runs on one Redis). */
  prefix?: string;
  /** Upper bound on the wait between reconnect attempts, ms. */
  maxReconnectDelayMs?: number;
}

/** The URL with any password replaced, for logs and readiness details. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable redis url)";
  }
}

/**
 * Two connections to one Redis (commands, and a subscriber, which Redis dedicates to pub/sub),
 * shared by the bus and the router state. Both reconnect forever; while Redis is down, commands
 * fail at once instead of queueing (the callers fall back to local state), and the outage is
 * logged once when it starts and once when it ends — not on every retry.
 */
export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly prefix: string;
  /** Identifies this process in messages, so it can ignore its own echoes. */
  readonly instanceId = randomBytes(8).toString("hex");
  private readonly where: string;
  private readonly logger: Logger;
  private down = false;
  private lastError = "";
  private closed = false;
  private readonly readyHandlers: Array<() => void> = [];
  private readonly downHandlers: Array<() => void> = [];

  constructor(opts: RedisLinkOptions) {
    this.prefix = opts.prefix ?? "";
    this.where = redactUrl(opts.url);
    this.logger = opts.logger;
    const maxDelay = opts.maxReconnectDelayMs ?? 2_000;
    const base: RedisOptions = {
      connectTimeout: 2_000,
      // never give up: the gateway keeps serving on local state and rejoins when Redis is back
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    };
    // Commands fail fast while disconnected; a queued INCRBY would only arrive late and wrong.
    // A Redis that accepts connections but does not answer must not hold an admin call either.
    this.cmd = new Redis(opts.url, {
      ...base,
      enableOfflineQueue: false,
      commandTimeout: 2_000,
      connectionName: "meridian",
    });
    // The subscriber queues SUBSCRIBE until connected and resubscribes after every reconnect.
    this.sub = new Redis(opts.url, { ...base, autoResubscribe: true, connectionName: "meridian-sub" });
    for (const c of [this.cmd, this.sub]) {
      c.on("error", (err: Error) => this.markDown(err.message));
      c.on("end", () => this.markDown("connection closed"));
      c.on("close", () => this.markDown("connection closed"));
      c.on("ready", () => this.markUp());
    }
  }

  /** Both connections usable. */
  get up(): boolean {
    return this.cmd.status === "ready" && this.sub.status === "ready";
  }

  /** Called after every (re)connection of the command connection — e.g. to flush and resync. */
  onReady(fn: () => void): void {
    this.readyHandlers.push(fn);
  }

  /** Called once when an outage starts (after having been up, or at startup). */
  onDown(fn: () => void): void {
    this.downHandlers.push(fn);
  }

  /** Resolves when both connections are up, or after `timeoutMs` — startup never blocks on Redis. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.up && Date.now() < deadline && !this.closed) await new Promise((r) => setTimeout(r, 10));
    return this.up;
  }

  async health(): Promise<{ name: string; ok: boolean; detail?: string }> {
    if (!this.up)
      return { name: "redis", ok: false, detail: `unreachable (${this.where}): ${this.lastError}` };
    try {
      await this.cmd.ping();
      return { name: "redis", ok: true, detail: this.where };
    } catch (err) {
      return { name: "redis", ok: false, detail: `unreachable (${this.where}): ${(err as Error).message}` };
    }
  }

  private markDown(reason: string): void {
    if (this.closed) return;
    this.lastError = reason;
    if (this.down) return;
    this.down = true;
    for (const fn of this.downHandlers) fn();
    this.logger.warn(
      { redis: this.where, reason },
      "redis unreachable: serving with local state (cooldowns, usage and invalidations are not shared) until it reconnects",
    );
  }

  private markUp(): void {
    if (!this.up) return;
    if (this.down) {
      this.down = false;
      this.logger.info({ redis: this.where }, "redis reconnected: shared state resumed");
    }
    for (const fn of this.readyHandlers) fn();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [this.cmd, this.sub].map(async (c) => {
        // QUIT lets queued replies arrive; a dead connection can only be dropped
        if (c.status === "ready") await c.quit().catch(() => c.disconnect());
        else c.disconnect();
      }),
    );
  }
}
