/**
 * Fire-and-forget messages between gateway processes (customer cache invalidation, cooldowns).
 * In one process the local bus is enough; Redis (kv/redis-bus.ts) and the cluster IPC bus
 * carry the same messages between instances and workers.
 */
export interface Bus {
  /**
   * Deliver to local subscribers at once, and to other processes. Resolves true once the message
   * has left this process (acknowledged by Redis / the cluster primary), so a caller that awaits it
   * before answering a client knows every other process is about to see it; false when that was not
   * confirmed in time (the message may still arrive late). Never rejects.
   */
  publish(channel: string, message: string): Promise<boolean>;
  subscribe(channel: string, handler: (message: string) => void): void;
  close(): Promise<void>;
  /**
   * Told false as soon as this process may be missing other processes' messages, and true when it
   * hears the bus again. A bus that cannot go deaf (in-process) never calls it.
   */
  onHearing?(fn: (hearing: boolean) => void): void;
}

/**
 * A process that cannot hear the bus knows it within this bound (RedisBus: no message, not even
 * its own heartbeat, for 1.5 s, checked every 250 ms). Quoted to admins when a change could not
 * be confirmed, and in the docs.
 */
export const DEAF_BOUND_MS = 2_000;

export class LocalBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();

  publish(channel: string, message: string): Promise<boolean> {
    for (const h of this.handlers.get(channel) ?? []) h(message);
    return Promise.resolve(true);
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    const list = this.handlers.get(channel);
    if (list) list.push(handler);
    else this.handlers.set(channel, [handler]);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
