import type { Bus } from "./bus.js";
import type { RedisLink } from "./redis.js";

/** Messages published while Redis is down, kept to resend on reconnect (bounded: oldest dropped). */
const MAX_OUTBOX = 10_000;

/**
 * The bus over Redis pub/sub. Local subscribers get a message at once and synchronously (as with
 * LocalBus, so a Redis outage never delays this process); other processes get it through Redis.
 * Each message carries the sender's instance id so a process ignores its own echo.
 *
 * publish never throws: while Redis is down, messages wait in an outbox and go out on reconnect,
 * so an admin change made during an outage still reaches the other instances afterwards.
 */
export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();
  private readonly subscribed: Array<Promise<unknown>> = [];
  private readonly outbox: Array<[string, string]> = [];

  constructor(private readonly link: RedisLink) {
    link.sub.on("message", (channel: string, payload: string) => this.onMessage(channel, payload));
    link.onReady(() => this.drain());
  }

  publish(channel: string, message: string): void {
    for (const h of this.handlers.get(channel) ?? []) h(message);
    this.send(channel, message);
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

  private send(channel: string, message: string): void {
    if (this.link.cmd.status !== "ready") {
      this.queue(channel, message);
      return;
    }
    const payload = `${this.link.instanceId}\n${message}`;
    this.link.cmd.publish(this.link.prefix + channel, payload).catch(() => this.queue(channel, message));
  }

  private queue(channel: string, message: string): void {
    if (this.outbox.length >= MAX_OUTBOX) this.outbox.shift();
    this.outbox.push([channel, message]);
  }

  private drain(): void {
    const pending = this.outbox.splice(0);
    for (const [channel, message] of pending) this.send(channel, message);
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
