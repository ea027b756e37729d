import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ToyRequest } from "./provider.js";

/** What the next toy answer does. The default: a whole answer (or stream) that says who it is. */
export type ToyBehavior =
  | { kind: "ok" }
  /** Refuse with this status and a toy error body, before any event. */
  | { kind: "status"; status: number; retryAfterSeconds?: number }
  /** Stream: an `oops` event before any piece. */
  | { kind: "oops-first" }
  /** Stream: this many pieces, then an `oops` event and the end of the body. */
  | { kind: "oops-after"; pieces: number }
  /** Stream: this many pieces, then the body ends cleanly without its `finish` event. */
  | { kind: "no-finish"; pieces: number };

/** Tokens the fake reports for every answer: fixed, so a test can tell its tokens were counted. */
export const TOY_COUNTS = { in: 7, out: 3 };

/** The toy upstream on loopback: real HTTP, its own wire format, a hit count and every request kept. */
export class ToyFake {
  hits = 0;
  readonly requests: Array<{ path: string; headers: Record<string, unknown>; body: ToyRequest }> = [];
  url = "";
  private queue: ToyBehavior[] = [];
  /** Stream events one write each, this far apart (ms); undefined: the whole stream in one write. */
  spacedMs: number | undefined;
  private server: Server | undefined;

  constructor(
    readonly label: string,
    private readonly pieces = 3,
  ) {}

  next(b: ToyBehavior, times = 1): this {
    for (let i = 0; i < times; i++) this.queue.push(b);
    return this;
  }

  reset(): void {
    this.hits = 0;
    this.requests.length = 0;
    this.queue = [];
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.hits++;
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ToyRequest;
        const path = req.url ?? "";
        this.requests.push({ path, headers: req.headers, body });
        this.answer(res, path, this.queue.shift() ?? { kind: "ok" });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The text of piece `i` (what a client must see, translated). */
  piece(i: number): string {
    return i === 0 ? `toy ${this.label} says` : ` bit ${i}`;
  }

  private answer(res: ServerResponse, path: string, b: ToyBehavior): void {
    if (b.kind === "status") {
      const h: Record<string, string> = { "content-type": "application/json" };
      if (b.retryAfterSeconds !== undefined) h["retry-after"] = String(b.retryAfterSeconds);
      res.writeHead(b.status, h);
      res.end(JSON.stringify({ problem: `toy ${this.label} refuses with ${b.status}` }));
      return;
    }
    if (path.endsWith("/toy/generate")) {
      const text = Array.from({ length: this.pieces }, (_, i) => this.piece(i)).join("");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ output: { text }, counts: TOY_COUNTS, stop: "done" }));
      return;
    }
    if (!path.endsWith("/toy/stream")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ problem: `no toy route ${path}` }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const ev = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    if (b.kind === "oops-first") {
      res.end(ev("oops", { why: "overloaded" }));
      return;
    }
    const count = b.kind === "oops-after" || b.kind === "no-finish" ? b.pieces : this.pieces;
    const events: string[] = [];
    for (let i = 0; i < count; i++) events.push(ev("piece", { t: this.piece(i) }));
    if (b.kind === "no-finish") return void res.end(events.join(""));
    events.push(
      b.kind === "oops-after"
        ? ev("oops", { why: "lost the thread" })
        : ev("finish", { stop: "done", counts: TOY_COUNTS }),
    );
    if (this.spacedMs === undefined) {
      // All events in one write: the gateway gets them in one chunk and must still take them in order.
      res.end(events.join(""));
      return;
    }
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i === events.length - 1) return void res.end(events[i]);
      res.write(events[i++]);
      setTimeout(tick, this.spacedMs);
    };
    tick();
  }
}
