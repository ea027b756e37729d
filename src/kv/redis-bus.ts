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
/** Carries nothing but proof that Redis still relays: every instance hears its own. */
const HEARTBEAT_CHANNEL = "meridian:bus-heartbeat";

export interface RedisBusOptions {
  /** How often this instance publishes a heartbeat. */
  heartbeatMs?: number;
  /**
   * Silence (no message at all, own heartbeats included) after which this instance counts itself
   * deaf. With the defaults (500 / 1500, checked every heartbeatMs / 2) deafness is known within
   * DEAF_BOUND_MS.
   */
  deafAfterMs?: number;
  /** Longest publish() waits for Redis to acknowledge before resolving false. */
  confirmMs?: number;
}

/**
 * The bus over Redis pub/sub. Local subscribers get a message at once and synchronously (as with
 * LocalBus, so a Redis outage never delays this process); other processes get it through Redis.
 * Each message carries the sender's instance id so a process ignores its own echo.
 *
 * publish never throws: while Redis is down, messages wait in an outbox and go out on reconnect,
 * so an admin change made during an outage still reaches the other instances afterwards; and an
 * instance that was cut off replays the recent messages it missed (a sorted set per channel).
 *
 * A Redis that stops answering without closing its connections (CLIENT PAUSE, SIGSTOP, a failover)
 * raises no error: heartbeats find it. Every instance publishes one every 500 ms; one that has
 * heard nothing for 1.5 s tells onHearing(false) (the customer cache stops trusting itself) until
 * a message arrives again, and then replays what it may have missed.
 */
export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();
  private readonly subscribed: Array<Promise<unknown>> = [];
  private readonly outbox: Array<[string, string]> = [];
  private readonly hearingHandlers: Array<(hearing: boolean) => void> = [];
  private readonly heartbeatMs: number;
  private readonly deafAfterMs: number;
  private readonly confirmMs: number;
  private readonly timer: NodeJS.Timeout;

  /** Since when messages may have been missed (set while deaf or down, after having heard). */
  private missingSince: number | undefined;
  private hearing = false;
  private lastHeard = 0;
  private lastBeat = 0;
  private lastDrain = 0;
  private beating = false;

  constructor(
    private readonly link: RedisLink,
    opts: RedisBusOptions = {},
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 500;
    this.deafAfterMs = opts.deafAfterMs ?? 1_500;
    this.confirmMs = opts.confirmMs ?? 1_000;
    link.sub.on("message", (channel: string, payload: string) => this.onMessage(channel, payload));
    link.onDown(() => this.setHearing(false));
    link.onReady(() => {
      this.drain();
      this.beat(); // hear ourselves again soon after a reconnect
    });
    this.subscribed.push(link.sub.subscribe(link.prefix + HEARTBEAT_CHANNEL).catch(() => undefined));
    this.timer = setInterval(() => this.tick(), Math.max(10, this.heartbeatMs / 2));
    this.timer.unref();
  }

  /** True while messages from other instances are known to reach this one. */
  get listening(): boolean {
    return this.hearing;
  }

  onHearing(fn: (hearing: boolean) => void): void {
    this.hearingHandlers.push(fn);
  }

  publish(channel: string, message: string): Promise<boolean> {
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
    clearInterval(this.timer);
    this.handlers.clear();
    this.hearingHandlers.length = 0;
  }

  private send(channel: string, message: string): Promise<boolean> {
    if (this.link.cmd.status !== "ready") {
      this.queue(channel, message);
      return Promise.resolve(false);
    }
    const payload = `${this.link.instanceId}\n${message}`;
    const now = Date.now();
    const recent = this.recentKey(channel);
    const sent = this.link.cmd
      .multi()
      .publish(this.link.prefix + channel, payload)
      .zadd(recent, now, message)
      .zremrangebyscore(recent, "-inf", now - RETENTION_MS)
      .pexpire(recent, RETENTION_MS)
      .exec()
      .then(
        (res) => {
          if (res?.[0]?.[0] == null) return true;
          return this.undelivered(channel, message, payload);
        },
        () => this.undelivered(channel, message, payload),
      );
    // A hung Redis holds the reply for the command timeout (2 s) or forever: answer sooner. The
    // message still goes out if Redis wakes up (it has it), or from the outbox on failure.
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), this.confirmMs);
      void sent.then((ok) => {
        clearTimeout(t);
        resolve(ok);
      });
    });
  }

  /**
   * The recorded send failed: kept in the outbox until Redis takes it, and meanwhile published
   * bare. A Redis that refuses writes (out of memory, a read-only replica after a failover) aborts
   * the whole MULTI, yet still relays PUBLISH: every instance keeps hearing heartbeats, none turns
   * deaf, so without this the message would reach nobody until the outbox drained.
   */
  private undelivered(channel: string, message: string, payload: string): false {
    this.queue(channel, message);
    this.link.cmd.publish(this.link.prefix + channel, payload).catch(() => undefined);
    return false;
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastBeat >= this.heartbeatMs) this.beat();
    // a Redis that refused the message but never went away: retry, so it is recorded for replay
    if (
      this.outbox.length > 0 &&
      this.link.cmd.status === "ready" &&
      now - this.lastDrain >= this.heartbeatMs
    ) {
      this.lastDrain = now;
      this.drain();
    }
    if (this.hearing && now - this.lastHeard > this.deafAfterMs) this.setHearing(false);
  }

  private beat(): void {
    // One heartbeat in flight at most: a hung Redis must not pile them up.
    if (this.beating || this.link.cmd.status !== "ready") return;
    this.beating = true;
    this.lastBeat = Date.now();
    this.link.cmd
      .publish(this.link.prefix + HEARTBEAT_CHANNEL, this.link.instanceId)
      .catch(() => undefined)
      .finally(() => {
        this.beating = false;
      });
  }

  private setHearing(hearing: boolean): void {
    if (hearing === this.hearing) return;
    this.hearing = hearing;
    if (!hearing) {
      // What was published after the last message we heard may not have reached us.
      if (this.lastHeard > 0) this.missingSince ??= this.lastHeard;
    } else {
      this.drain();
      const since = this.missingSince;
      this.missingSince = undefined;
      if (since !== undefined) void this.replay(since - REPLAY_MARGIN_MS);
    }
    for (const fn of this.hearingHandlers) fn(hearing);
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
        // down again: the next recovery replays from the same point
        this.missingSince = Math.min(this.missingSince ?? Number.POSITIVE_INFINITY, since + REPLAY_MARGIN_MS);
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
    // Any message proves Redis relays to us, our own heartbeat included.
    this.lastHeard = Date.now();
    if (!this.hearing && this.link.up) this.setHearing(true);
    const channel = fullChannel.slice(this.link.prefix.length);
    if (channel === HEARTBEAT_CHANNEL) return;
    const nl = payload.indexOf("\n");
    if (nl < 0 || payload.slice(0, nl) === this.link.instanceId) return;
    const list = this.handlers.get(channel);
    if (!list) return;
    const message = payload.slice(nl + 1);
    for (const h of list) h(message);
  }
}
