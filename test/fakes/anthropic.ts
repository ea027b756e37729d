import { readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** The hand-written wire fixtures (src/providers/anthropic/fixtures), read as bytes. */
export const FIXTURES = join(import.meta.dirname, "../../src/providers/anthropic/fixtures");
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** What the next answer is. Default: text.response.json, or text.sse when the request streams. */
export type AnthropicBehavior =
  | { kind: "ok" }
  /** Answer with this fixture and status (JSON for a buffered answer or an error, SSE for a stream). */
  | { kind: "fixture"; file: string; status?: number; headers?: Record<string, string> };

export interface SeenRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * A fake of Anthropic's Messages API on loopback: POST /v1/messages, the real wire format (the
 * fixtures), a hit count, every request kept. Stream events go out one write each `spacedMs` apart
 * (undefined: the whole stream in one write).
 */
export class AnthropicFake {
  hits = 0;
  readonly requests: SeenRequest[] = [];
  url = "";
  spacedMs: number | undefined;
  private queue: AnthropicBehavior[] = [];
  private server: Server | undefined;

  constructor(readonly label: string) {}

  next(b: AnthropicBehavior, times = 1): this {
    for (let i = 0; i < times; i++) this.queue.push(b);
    return this;
  }

  reset(): void {
    this.hits = 0;
    this.requests.length = 0;
    this.queue = [];
    this.spacedMs = undefined;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.hits++;
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
        this.requests.push({ path: req.url ?? "", headers: req.headers, body });
        if (req.method !== "POST" || !req.url?.endsWith("/v1/messages")) {
          this.send(res, 404, "application/json", fixture("error-401.json"));
          return;
        }
        this.answer(res, body.stream === true, this.queue.shift() ?? { kind: "ok" });
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

  private answer(res: ServerResponse, stream: boolean, b: AnthropicBehavior): void {
    const file = b.kind === "fixture" ? b.file : stream ? "text.sse" : "text.response.json";
    const status = b.kind === "fixture" ? (b.status ?? 200) : 200;
    const headers = b.kind === "fixture" ? b.headers : undefined;
    const text = fixture(file);
    if (!file.endsWith(".sse")) {
      this.send(res, status, "application/json", text, headers);
      return;
    }
    res.writeHead(status, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
    if (this.spacedMs === undefined) return void res.end(text);
    const events = text.split(/(?<=\n\n)/);
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i === events.length - 1) return void res.end(events[i]);
      res.write(events[i++]);
      setTimeout(tick, this.spacedMs);
    };
    tick();
  }

  private send(
    res: ServerResponse,
    status: number,
    type: string,
    text: string,
    headers?: Record<string, string>,
  ): void {
    res.writeHead(status, { "content-type": type, ...headers });
    res.end(text);
  }
}
