/**
 * Fire-and-forget messages between gateway processes (customer cache invalidation, cooldowns).
 * In one process the local bus is enough; Redis (kv/redis-bus.ts) and the cluster IPC bus
 * carry the same messages between instances and workers.
 */
export interface Bus {
  publish(channel: string, message: string): void;
  subscribe(channel: string, handler: (message: string) => void): void;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();

  publish(channel: string, message: string): void {
    for (const h of this.handlers.get(channel) ?? []) h(message);
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
