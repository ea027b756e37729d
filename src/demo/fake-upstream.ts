import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeResponses } from "./fake-responses.js";
import { answerSurface, FakeObjects, parseForm, type ReceivedForm } from "./fake-surface.js";
import { writePaced } from "./paced.js";

/**
 * A small OpenAI/Azure-compatible upstream for the demo, the tests and the benchmark. It answers
 * chat, completions and embeddings in both URL shapes, counts and records every request, and
 * can be told to fail, delay, hang, reset the connection or cut a stream.
 */
export interface Behavior {
  /** Answer with this HTTP status (and an OpenAI error body) instead of succeeding. */
  status?: number;
  /** Extra response headers (e.g. retry-after) on failures and successes. */
  headers?: Record<string, string>;
  /** Custom error body for `status`: a string is sent as-is (text/html), anything else as JSON. */
  errorBody?: unknown;
  /** Wait before answering (ms). */
  delayMs?: number;
  /** Never answer. */
  hang?: boolean;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Streaming: destroy the socket after this many chunks (events, on /responses). */
  cutAfterChunks?: number;
  /** Streaming: wait this long between chunks (ms). */
  chunkIntervalMs?: number;
  /** Answer 200 with a body a client cannot use (see BrokenBody). */
  broken?: BrokenBody;
  /** Rate-limit: answer 429 (unless `status` says otherwise) with `Retry-After: <seconds>`. */
  retryAfterSeconds?: number;
  /** Hold the answer until this settles (a test decides when an upstream recovers). */
  gate?: Promise<unknown>;
  /** Answer 200 with exactly these bytes (a broken success: truncated JSON, HTML, bad SSE…). */
  raw?: { body: string; contentType?: string };
}

/**
 * 200 answers that are not what was asked for: JSON cut mid-way, an HTML error page, nothing at all,
 * a plain JSON completion to a `stream: true` request, or an event stream whose events are not JSON.
 */
export type BrokenBody = "truncated-json" | "html" | "empty" | "json-for-stream" | "malformed-sse";

export const BROKEN_BODIES: readonly BrokenBody[] = [
  "truncated-json",
  "html",
  "empty",
  "json-for-stream",
  "malformed-sse",
];

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown> | undefined;
  /** A multipart/form-data request's fields and files (sizes and digests). */
  form?: ReceivedForm | undefined;
  /** The client went away before the response finished. */
  aborted: boolean;
  /** The whole response was handed to the socket (for streams: the last event was written). */
  finished: boolean;
}

export interface FakeUpstreamOptions {
  /** Shown in every answer, e.g. "eu" — so a test or a person can see who answered. */
  label: string;
  port?: number;
  host?: string;
  /** Keep full request records (off for the benchmark). */
  record?: boolean;
  /** Streaming: number of content chunks. */
  streamChunks?: number;
}

export class FakeUpstream {
  readonly label: string;
  hits = 0;
  readonly requests: RecordedRequest[] = [];
  /** Applied to the next requests in order; when empty, `always` applies. */
  private queue: Behavior[] = [];
  always: Behavior = {};
  private server: Server | undefined;
  private readonly record: boolean;
  private readonly streamChunks: number;
  private objects: FakeObjects;
  /** The Responses API, with the responses this upstream stored. */
  readonly responses: FakeResponses;
  url = "";

  constructor(private readonly opts: FakeUpstreamOptions) {
    this.label = opts.label;
    this.record = opts.record ?? true;
    this.streamChunks = opts.streamChunks ?? 3;
    this.objects = new FakeObjects(opts.label);
    this.responses = new FakeResponses(opts.label);
  }

  /** The next `times` requests get `b`. */
  next(b: Behavior, times = 1): this {
    for (let i = 0; i < times; i++) this.queue.push(b);
    return this;
  }

  reset(): void {
    this.hits = 0;
    this.requests.length = 0;
    this.queue = [];
    this.always = {};
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) =>
      this.server?.listen(this.opts.port ?? 0, this.opts.host ?? "127.0.0.1", resolve),
    );
    const addr = this.server.address() as AddressInfo;
    this.url = `http://${this.opts.host ?? "127.0.0.1"}:${addr.port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.hits++;
      const bytes = Buffer.concat(chunks);
      if (/^multipart\/form-data/i.test(req.headers["content-type"] ?? "")) {
        void parseForm(req.headers, bytes).then((form) => this.received(req, res, undefined, form));
        return;
      }
      const raw = bytes.toString("utf8");
      let body: Record<string, unknown> | undefined;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      this.received(req, res, body, undefined);
    });
  }

  private received(
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown> | undefined,
    form: ReceivedForm | undefined,
  ): void {
    {
      let rec: RecordedRequest | undefined;
      if (this.record) {
        rec = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body,
          form,
          aborted: false,
          finished: false,
        };
        this.requests.push(rec);
        res.on("finish", () => {
          if (rec) rec.finished = true;
        });
        res.on("close", () => {
          if (!res.writableFinished && rec) rec.aborted = true;
        });
      }
      const b = this.queue.shift() ?? this.always;
      const go = () => this.respond(req, res, body, b, form);
      if (b.gate) void b.gate.then(go);
      else if (b.delayMs) setTimeout(go, b.delayMs);
      else go();
    }
  }

  private respond(
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown> | undefined,
    given: Behavior,
    form?: ReceivedForm,
  ): void {
    const b: Behavior =
      given.retryAfterSeconds === undefined
        ? given
        : {
            ...given,
            status: given.status ?? 429,
            headers: { "retry-after": String(given.retryAfterSeconds), ...given.headers },
          };
    if (b.hang) return;
    if (b.reset) {
      req.socket.destroy();
      return;
    }
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path.endsWith("/models")) {
      json(res, 200, {
        object: "list",
        data: [{ id: "fake", object: "model", created: 0, owned_by: this.label }],
      });
      return;
    }
    if (b.raw) {
      const h: Record<string, string> = { ...b.headers };
      if (b.raw.contentType) h["content-type"] = b.raw.contentType;
      res.writeHead(200, h);
      res.end(b.raw.body);
      return;
    }
    if (b.status && b.status >= 400 && typeof b.errorBody === "string") {
      res.writeHead(b.status, { "content-type": "text/html", ...b.headers });
      res.end(b.errorBody);
      return;
    }
    if (b.status && b.status >= 400) {
      const err = b.errorBody ?? {
        error: {
          message: `fake upstream ${this.label} failing with ${b.status}`,
          type: "server_error",
          param: null,
          code: String(b.status),
        },
      };
      json(res, b.status, err, b.headers);
      return;
    }
    const query = (req.url ?? "").slice(path.length);
    const pace = { cutAfterChunks: b.cutAfterChunks, chunkIntervalMs: b.chunkIntervalMs };
    if (this.responses.handle(req.method ?? "", path, query, body, res, b.headers, pace)) return;
    const model =
      typeof body?.model === "string" ? body.model : (/deployments\/([^/]+)/.exec(path)?.[1] ?? "fake-model");
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    if (this.objects.answer(res, req.method ?? "", path, body, form, query)) return;
    if (answerSurface(res, path, this.label, this.hits, body, form, b.headers)) return;
    if (path.endsWith("/embeddings")) {
      const inputs = Array.isArray(body?.input) ? body.input : [body?.input];
      json(
        res,
        200,
        {
          object: "list",
          data: inputs.map((_, index) => ({
            object: "embedding",
            index,
            embedding: body?.encoding_format === "base64" ? EMBEDDING_BASE64 : EMBEDDING,
          })),
          model,
          usage: { prompt_tokens: 4, total_tokens: 4 },
        },
        b.headers,
      );
      return;
    }
    if (b.broken && b.broken !== "json-for-stream") {
      brokenBody(res, b.broken, body?.stream === true, b.headers);
      return;
    }
    const text = `Hello from ${this.label}`;
    const isChat = path.endsWith("/chat/completions");
    if (!path.endsWith("/completions")) {
      json(res, 404, {
        error: { message: `no route ${path}`, type: "invalid_request_error", param: null, code: "404" },
      });
      return;
    }
    if (body?.stream === true && b.broken !== "json-for-stream") {
      const opts = body.stream_options as { include_usage?: unknown } | undefined;
      this.stream(res, model, created, isChat, b, opts?.include_usage === true);
      return;
    }
    const id = `${isChat ? "chatcmpl" : "cmpl"}-fake-${this.hits}`;
    const answer = isChat
      ? {
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage,
        }
      : {
          id,
          object: "text_completion",
          created,
          model,
          choices: [{ index: 0, text, finish_reason: "stop" }],
          usage,
        };
    json(res, 200, answer, { "x-ratelimit-remaining-requests": "999", ...b.headers });
    return;
  }

  /** Streams this many tokens (the same as a non-streaming answer), reported when asked as OpenAI does. */
  private stream(
    res: ServerResponse,
    model: string,
    created: number,
    isChat: boolean,
    b: Behavior,
    includeUsage: boolean,
  ): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...b.headers });
    const id = `chatcmpl-fake-${this.hits}`;
    const events: string[] = [];
    // With stream_options.include_usage OpenAI says `"usage": null` in every chunk and adds one last
    // chunk with no choices and the usage.
    const usageField = includeUsage ? { usage: null } : {};
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      isChat
        ? {
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [{ index: 0, delta, finish_reason: finish }],
            ...usageField,
          }
        : {
            id,
            object: "text_completion",
            created,
            model,
            choices: [{ index: 0, text: String(delta.content ?? ""), finish_reason: finish }],
            ...usageField,
          };
    events.push(`data: ${JSON.stringify(chunk({ role: "assistant", content: "" }, null))}\n\n`);
    for (let i = 0; i < this.streamChunks; i++)
      events.push(
        `data: ${JSON.stringify(chunk({ content: i === 0 ? `Hello from ${this.label}` : ` part ${i}` }, null))}\n\n`,
      );
    events.push(`data: ${JSON.stringify(chunk({}, "stop"))}\n\n`);
    if (includeUsage) {
      const last = { id, object: isChat ? "chat.completion.chunk" : "text_completion", created, model };
      events.push(`data: ${JSON.stringify({ ...last, choices: [], usage: STREAM_USAGE })}\n\n`);
    }
    events.push("data: [DONE]\n\n");
    writePaced(res, events, {
      cutAfterChunks: b.cutAfterChunks,
      chunkIntervalMs: b.chunkIntervalMs,
      eachEvent: true,
    });
  }
}

function brokenBody(
  res: ServerResponse,
  kind: Exclude<BrokenBody, "json-for-stream">,
  streaming: boolean,
  headers?: Record<string, string>,
): void {
  if (kind === "malformed-sse") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
    res.end('data: {"id":"chatcmpl-broken","choices":[{"delta":\n\ndata: <html>oops</html>\n\n');
    return;
  }
  // The content type a client expects for what it asked, so only the body itself is wrong.
  const type = kind === "html" ? "text/html" : streaming ? "text/event-stream" : "application/json";
  const text =
    kind === "html"
      ? "<html><body><h1>502 Bad Gateway</h1></body></html>"
      : kind === "truncated-json"
        ? '{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist'
        : "";
  res.writeHead(200, { "content-type": type, "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** What a streamed answer reports with include_usage: the non-streaming usage, as OpenAI's would be. */
export const STREAM_USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

const EMBEDDING = [0.1, 0.2, 0.3];
// As OpenAI does: little-endian float32s, base64 (the openai SDK asks for this by default).
const EMBEDDING_BASE64 = Buffer.from(new Float32Array(EMBEDDING).buffer).toString("base64");

function json(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const s = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(s),
    ...headers,
  });
  res.end(s);
}
