import type { Bus } from "./bus.js";
import type { RedisLink } from "./redis.js";

/** Messages published while Redis is down, kept to resend on reconnect (bounded: oldest dropped). */
const MAX_OUTBOX = 10_000;
/**
 * Recent messages are also kept in Redis, so an instance that lost its connection replays what it
 * missed. Must exceed the customer cache TTL: anything older has expired from every cache anyway.
 */
const RETENTION_MS = 15 * 60_000;
/** Replay from a bit before the outage began: instances' clocks may disagree; duplicates are harmless. */
const REPLAY_MARGIN_MS = 60_000;

/**
 * The bus over Redis pub/sub. Local subscribers get a message at once and synchronously (as with
 * LocalBus, so a Redis outage never delays this process); other processes get it through Redis.
 * Each message carries the sender's instance id so a process ignores its own echo.
 *
 * publish never throws: while Redis is down, messages wait in an outbox and go out on reconnect,
 * so an admin change made during an outage still reaches the other instances afterwards; and an
 * instance that was cut off replays the recent messages it missed (a sorted set per channel).
 */
export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();
  private readonly subscribed: Array<Promise<unknown>> = [];
  private readonly outbox: Array<[string, string]> = [];

  private downSince: number | undefined;
  private wasUp = false;

  constructor(private readonly link: RedisLink) {
    link.sub.on("message", (channel: string, payload: string) => this.onMessage(channel, payload));
    link.onDown(() => {
      if (this.wasUp) this.downSince ??= Date.now();
    });
    link.onReady(() => {
      this.wasUp = true;
      this.drain();
      const since = this.downSince;
      this.downSince = undefined;
      if (since !== undefined) void this.replay(since - REPLAY_MARGIN_MS);
    });
    if (link.up) this.wasUp = true;
  }

  publish(channel: string, message: string): Promise<void> {
    for (const h of this.handlers.get(channel) ?? []) h(message);
    return this.send(channel, message);
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    const list = this.handlers.get(channel);
    if (list) {
      list.push(handler);
      return;
    }
    this.handlers.set(channel, [handler]);
    // Errors here mean Redis is down; autoResubscribe restores the subscription on reconnect.
    this.subscribed.push(this.link.sub.subscribe(this.link.prefix + channel).catch(() => undefined));
  }

  /** Resolves once every SUBSCRIBE issued so far has been acknowledged (or failed). */
  async settled(): Promise<void> {
    await Promise.all(this.subscribed);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }

  private send(channel: string, message: string): Promise<void> {
    if (this.link.cmd.status !== "ready") {
      this.queue(channel, message);
      return Promise.resolve();
    }
    const payload = `${this.link.instanceId}\n${message}`;
    const now = Date.now();
    const recent = this.recentKey(channel);
    return this.link.cmd
      .multi()
      .publish(this.link.prefix + channel, payload)
      .zadd(recent, now, message)
      .zremrangebyscore(recent, "-inf", now - RETENTION_MS)
      .pexpire(recent, RETENTION_MS)
      .exec()
      .then(
        () => undefined,
        () => this.queue(channel, message),
      );
  }

  private recentKey(channel: string): string {
    return `${this.link.prefix}bus:${channel}:recent`;
  }

  /** After an outage: deliver locally what other instances published meanwhile. */
  private async replay(since: number): Promise<void> {
    for (const [channel, list] of this.handlers) {
      let missed: string[];
      try {
        missed = await this.link.cmd.zrangebyscore(this.recentKey(channel), since, "+inf");
      } catch {
        // down again: the next reconnect replays from the same point
        this.downSince = Math.min(this.downSince ?? Number.POSITIVE_INFINITY, since + REPLAY_MARGIN_MS);
        return;
      }
      for (const m of missed) for (const h of list) h(m);
    }
  }

  private queue(channel: string, message: string): void {
    if (this.outbox.length >= MAX_OUTBOX) this.outbox.shift();
    this.outbox.push([channel, message]);
  }

  private drain(): void {
    const pending = this.outbox.splice(0);
    for (const [channel, message] of pending) void this.send(channel, message);
  }

  private onMessage(fullChannel: string, payload: string): void {
    if (!fullChannel.startsWith(this.link.prefix)) return;
    const nl = payload.indexOf("\n");
    if (nl < 0 || payload.slice(0, nl) === this.link.instanceId) return;
    const list = this.handlers.get(fullChannel.slice(this.link.prefix.length));
    if (!list) return;
    const message = payload.slice(nl + 1);
    for (const h of list) h(message);
  }
}
