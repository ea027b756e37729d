/**
 * Fire-and-forget messages between gateway processes (customer cache invalidation, cooldowns).
 * In one process the local bus is enough; Redis (kv/redis-bus.ts) and the cluster IPC bus
 * carry the same messages between instances and workers.
 */
export interface Bus {
  /**
   * Deliver to local subscribers at once, and to other processes. Resolves once the message has
   * left this process (acknowledged by Redis / the cluster primary), so a caller that awaits it
   * before answering a client knows every other process is about to see it. Never rejects.
   */
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): void;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();

  publish(channel: string, message: string): Promise<void> {
    for (const h of this.handlers.get(channel) ?? []) h(message);
    return Promise.resolve();
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
