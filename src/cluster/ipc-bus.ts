import type { Worker } from "node:cluster";
import type { Bus } from "../kv/bus.js";

/** Marks our messages among anything else that may travel over the cluster IPC channel. */
const TAG = "meridian:bus";

interface Envelope {
  tag: typeof TAG;
  channel: string;
  message: string;
}

function isEnvelope(m: unknown): m is Envelope {
  return typeof m === "object" && m !== null && (m as Envelope).tag === TAG;
}

/** What the worker talks to: `process` in a cluster worker. */
export interface IpcEndpoint {
  send?(message: unknown): boolean;
  connected?: boolean;
  on(event: "message", fn: (m: unknown) => void): unknown;
  off(event: "message", fn: (m: unknown) => void): unknown;
}

/**
 * The bus between cluster workers when there is no Redis: a worker delivers locally at once and
 * sends the message to the primary, which relays it to every other worker (relayBus). So an admin
 * change handled by one worker invalidates the customer cache of all of them.
 */
export class IpcBus implements Bus {
  private readonly handlers = new Map<string, Array<(m: string) => void>>();
  private readonly listener = (m: unknown) => {
    if (isEnvelope(m)) this.deliver(m.channel, m.message);
  };

  constructor(private readonly endpoint: IpcEndpoint = process as unknown as IpcEndpoint) {
    endpoint.on("message", this.listener);
  }

  publish(channel: string, message: string): void {
    this.deliver(channel, message);
    if (this.endpoint.connected === false || !this.endpoint.send) return;
    try {
      this.endpoint.send({ tag: TAG, channel, message } satisfies Envelope);
    } catch {
      // the primary is gone (we are shutting down): nobody left to tell
    }
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    const list = this.handlers.get(channel);
    if (list) list.push(handler);
    else this.handlers.set(channel, [handler]);
  }

  async close(): Promise<void> {
    this.endpoint.off("message", this.listener);
    this.handlers.clear();
  }

  private deliver(channel: string, message: string): void {
    for (const h of this.handlers.get(channel) ?? []) h(message);
  }
}

/** Primary side: forward a worker's bus message to every other live worker. */
export function relayBus(from: Worker, message: unknown, workers: Iterable<Worker | undefined>): void {
  if (!isEnvelope(message)) return;
  for (const w of workers) {
    if (!w || w === from || !w.isConnected()) continue;
    try {
      w.send(message);
    } catch {
      // that worker is exiting; it no longer has a cache to invalidate
    }
  }
}
