import type { Worker } from "node:cluster";
import type { Bus } from "../kv/bus.js";

/** Marks our messages among anything else that may travel over the cluster IPC channel. */
const TAG = "meridian:bus";

/** A message (worker -> primary -> workers), or the primary's receipt for message `ack`. */
type Envelope =
  | { tag: typeof TAG; channel: string; message: string; id?: number }
  | { tag: typeof TAG; ack: number };

function isEnvelope(m: unknown): m is Envelope {
  return typeof m === "object" && m !== null && (m as Envelope).tag === TAG;
}

/** Longest a publisher waits for the primary's receipt (it then resolves false, never rejects). */
const ACK_TIMEOUT_MS = 1_000;

/** What the worker talks to: `process` in a cluster worker. */
export interface IpcEndpoint {
  send?(message: unknown, callback?: (err: Error | null) => void): boolean;
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
  private readonly pending = new Map<number, (ok: boolean) => void>();
  private seq = 0;
  private readonly listener = (m: unknown) => {
    if (!isEnvelope(m)) return;
    if ("ack" in m) this.pending.get(m.ack)?.(true);
    else this.deliver(m.channel, m.message);
  };

  constructor(private readonly endpoint: IpcEndpoint = process as unknown as IpcEndpoint) {
    endpoint.on("message", this.listener);
  }

  /**
   * True when the primary has passed the message to every other worker; false without its receipt
   * within 1 s, or with no channel to it. No hearing check is needed on this side: a worker whose
   * channel to the primary breaks is exited by node's cluster module, so it never serves deaf.
   */
  publish(channel: string, message: string): Promise<boolean> {
    this.deliver(channel, message);
    const send = this.endpoint.send;
    if (this.endpoint.connected === false || !send) return Promise.resolve(false);
    const id = ++this.seq;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), ACK_TIMEOUT_MS);
      this.pending.set(id, done);
      try {
        send.call(this.endpoint, { tag: TAG, channel, message, id } satisfies Envelope);
      } catch {
        done(false); // the primary is gone (we are shutting down): nobody left to tell
      }
    });
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    const list = this.handlers.get(channel);
    if (list) list.push(handler);
    else this.handlers.set(channel, [handler]);
  }

  async close(): Promise<void> {
    this.endpoint.off("message", this.listener);
    this.handlers.clear();
    for (const done of [...this.pending.values()]) done(false);
  }

  private deliver(channel: string, message: string): void {
    for (const h of this.handlers.get(channel) ?? []) h(message);
  }
}

/**
 * Primary side: forward a worker's bus message to every other live worker, then tell the sender
 * it has been written to all of them.
 */
export function relayBus(from: Worker, message: unknown, workers: Iterable<Worker | undefined>): void {
  if (!isEnvelope(message) || "ack" in message) return;
  const sends: Array<Promise<void>> = [];
  for (const w of workers) {
    if (!w || w === from || !w.isConnected()) continue;
    sends.push(
      new Promise<void>((resolve) => {
        try {
          // the callback fires once the message is written (or failed: that worker is exiting)
          w.send(message, undefined, () => resolve());
        } catch {
          resolve();
        }
      }),
    );
  }
  const id = message.id;
  if (id === undefined) return;
  void Promise.all(sends).then(() => {
    if (!from.isConnected()) return;
    try {
      from.send({ tag: TAG, ack: id } satisfies Envelope);
    } catch {
      // the sender is exiting
    }
  });
}
