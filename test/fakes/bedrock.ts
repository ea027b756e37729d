import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Sha256 } from "@aws-crypto/sha256-js";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { SignatureV4 } from "@smithy/signature-v4";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

/**
 * A Bedrock runtime on loopback speaking the real wire formats: Converse JSON, ConverseStream as
 * binary `application/vnd.amazon.eventstream` frames (encoded with the maintained codec), InvokeModel
 * for Titan / Cohere embeddings, and Bedrock's errors (`x-amzn-ErrorType`, `{"message"}`).
 * It VERIFIES every SigV4 signature: it recomputes the signature of the headers the request says it
 * signed, with the known secret and the request's own x-amz-date, and answers 403
 * InvalidSignatureException when they differ.
 */

export const FAKE_AWS = {
  accessKeyId: "AKIDFAKEBEDROCK",
  secretAccessKey: "fake/secret/KEY+for+tests",
};

export type BedrockBehavior =
  | { kind: "ok" }
  /** An HTTP error with Bedrock's error shape, before any event. */
  | { kind: "status"; status: number; exception: string; retryAfterSeconds?: number }
  /** Stream: an exception frame before any content. */
  | { kind: "exception-first"; exception: string }
  /** Stream: this many text deltas, then an exception frame, then the end of the body. */
  | { kind: "exception-after"; deltas: number; exception: string }
  /**
   * Stream: this many text deltas, then a frame whose message CRC is wrong, then the rest of a whole
   * answer as if nothing happened: only the CRC check can tell.
   */
  | { kind: "bad-crc"; deltas: number }
  /** Stream: this many text deltas, then the body ends cleanly without messageStop / metadata. */
  | { kind: "cut"; deltas: number };

export const FAKE_USAGE = { inputTokens: 11, outputTokens: 4, totalTokens: 15 };

export interface SeenRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  signatureOk: boolean;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One ConverseStream event frame, as Bedrock sends it (with its `p` padding field). */
export function eventFrame(type: string, payload: object): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: fromUtf8(JSON.stringify({ ...payload, p: "abcdefghijklmnopqrstuvwxyz".slice(0, 7) })),
  });
}

export function exceptionFrame(exception: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ":exception-type": { type: "string", value: exception },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "exception" },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** The same frame with its last byte (part of the message CRC32) flipped. */
export function corrupt(frame: Uint8Array): Uint8Array {
  const bad = Uint8Array.from(frame);
  bad[bad.length - 1] ^= 0xff;
  return bad;
}

export class BedrockFake {
  hits = 0;
  readonly requests: SeenRequest[] = [];
  url = "";
  /** Stream frames one write each, this far apart (ms); undefined: the whole stream in one write. */
  spacedMs: number | undefined;
  /** The benchmark turns this off so that the fake's own hashing is not counted as the gateway's. */
  verifySignatures = true;
  private queue: BedrockBehavior[] = [];
  private server: Server | undefined;

  constructor(
    readonly label: string,
    readonly region = "eu-central-1",
    private readonly deltas = 3,
  ) {}

  next(b: BedrockBehavior, times = 1): this {
    for (let i = 0; i < times; i++) this.queue.push(b);
    return this;
  }

  reset(): void {
    this.hits = 0;
    this.requests.length = 0;
    this.queue = [];
    this.spacedMs = undefined;
  }

  /** Text delta `i` of an answer (what a client must see, translated). */
  piece(i: number): string {
    return i === 0 ? `bedrock ${this.label} says` : ` bit ${i}`;
  }

  text(n = this.deltas): string {
    return Array.from({ length: n }, (_, i) => this.piece(i)).join("");
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.handle(req, res, Buffer.concat(chunks));
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

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    this.hits++;
    const path = req.url ?? "";
    const signatureOk = this.verifySignatures ? await this.verify(req, raw) : true;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      // kept empty: the answer below says what was wrong
    }
    this.requests.push({ path, headers: req.headers, body, signatureOk });
    if (!signatureOk)
      return void error(
        res,
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided.",
      );
    const b = this.queue.shift() ?? { kind: "ok" };
    if (b.kind === "status")
      return void error(
        res,
        b.status,
        b.exception,
        `fake ${this.label} refuses with ${b.exception}`,
        b.retryAfterSeconds,
      );
    const m = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
    if (!m) return error(res, 404, "UnknownOperationException", `no route ${path}`);
    const modelId = decodeURIComponent(m[1]);
    if (m[2] === "invoke") return this.invoke(res, modelId, body);
    if (m[2] === "converse") return this.converse(res, body);
    return void this.converseStream(res, body, b);
  }

  /** Recompute the signature over the headers the request names as signed, with the secret we know. */
  private async verify(req: IncomingMessage, raw: Buffer): Promise<boolean> {
    const auth = String(req.headers.authorization ?? "");
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    const date = String(req.headers["x-amz-date"] ?? "");
    if (!m || m[1] !== FAKE_AWS.accessKeyId || m[3] !== this.region || m[4] !== "bedrock") return false;
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!dm) return false;
    const at = new Date(`${dm[1]}-${dm[2]}-${dm[3]}T${dm[4]}:${dm[5]}:${dm[6]}Z`);
    const headers: Record<string, string> = {};
    for (const name of m[5].split(";")) headers[name] = String(req.headers[name] ?? "");
    const token = req.headers["x-amz-security-token"];
    const s = new SignatureV4({
      credentials: { ...FAKE_AWS, ...(typeof token === "string" ? { sessionToken: token } : {}) },
      region: this.region,
      service: "bedrock",
      sha256: Sha256,
      uriEscapePath: true,
      applyChecksum: false,
    });
    const url = new URL(req.url ?? "/", "http://x");
    const signed = await s.sign(
      {
        method: req.method ?? "POST",
        protocol: "http:",
        hostname: "127.0.0.1",
        path: url.pathname,
        query: {},
        headers,
        body: raw.toString("utf8"),
      },
      { signingDate: at },
    );
    return signed.headers.authorization === auth;
  }

  private converse(res: ServerResponse, body: Record<string, unknown>): void {
    const use = { toolUse: { toolUseId: "tooluse_fake1", name: toolName(body), input: { city: "Paris" } } };
    // As Claude does: a forced tool choice (`any` / `tool`) is answered with the call alone.
    const content: object[] = forced(body)
      ? [use]
      : wantsTool(body)
        ? [{ text: "Let me look." }, use]
        : [{ text: this.text() }];
    json(res, 200, {
      output: { message: { role: "assistant", content } },
      stopReason: wantsTool(body) ? "tool_use" : "end_turn",
      usage: FAKE_USAGE,
      metrics: { latencyMs: 42 },
    });
  }

  /** The plain answer's frames, encoded once: the benchmark should time the gateway, not the fake. */
  private plain: Uint8Array[] | undefined;

  private converseStream(res: ServerResponse, body: Record<string, unknown>, b: BedrockBehavior): void {
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "fake" });
    const plain = b.kind === "ok" && !wantsTool(body);
    if (plain && this.plain) return void this.write(res, this.plain);
    const frames: Uint8Array[] = [eventFrame("messageStart", { role: "assistant" })];
    if (b.kind === "exception-first") {
      frames.push(exceptionFrame(b.exception, `fake ${this.label}: ${b.exception}`));
      return void this.write(res, frames);
    }
    const n = forced(body) ? 0 : b.kind === "ok" || b.kind === "status" ? this.deltas : b.deltas;
    for (let i = 0; i < n; i++)
      frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: this.piece(i) } }));
    if (b.kind === "exception-after")
      frames.push(exceptionFrame(b.exception, `fake ${this.label}: ${b.exception}`));
    if (b.kind === "bad-crc")
      frames.push(
        corrupt(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: " corrupted" } })),
      );
    if (b.kind === "ok" || b.kind === "bad-crc") {
      if (n > 0) frames.push(eventFrame("contentBlockStop", { contentBlockIndex: 0 }));
      const at = n > 0 ? 1 : 0;
      let stop = "end_turn";
      if (wantsTool(body)) {
        stop = "tool_use";
        frames.push(
          eventFrame("contentBlockStart", {
            contentBlockIndex: at,
            start: { toolUse: { toolUseId: "tooluse_fake1", name: toolName(body) } },
          }),
          eventFrame("contentBlockDelta", {
            contentBlockIndex: at,
            delta: { toolUse: { input: '{"city":' } },
          }),
          eventFrame("contentBlockDelta", {
            contentBlockIndex: at,
            delta: { toolUse: { input: '"Paris"}' } },
          }),
          eventFrame("contentBlockStop", { contentBlockIndex: at }),
        );
      }
      frames.push(
        eventFrame("messageStop", { stopReason: stop }),
        eventFrame("metadata", { usage: FAKE_USAGE, metrics: { latencyMs: 42 } }),
      );
    }
    if (plain) this.plain = frames;
    this.write(res, frames);
  }

  private write(res: ServerResponse, frames: Uint8Array[]): void {
    if (this.spacedMs === undefined) return void res.end(Buffer.concat(frames));
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i === frames.length - 1) return void res.end(frames[i]);
      res.write(frames[i++]);
      setTimeout(tick, this.spacedMs);
    };
    tick();
  }

  private invoke(res: ServerResponse, modelId: string, body: Record<string, unknown>): void {
    if (modelId.includes("titan-embed")) {
      if (typeof body.inputText !== "string")
        return void error(res, 400, "ValidationException", "inputText is required");
      const dims = typeof body.dimensions === "number" ? body.dimensions : 4;
      return void json(res, 200, {
        embedding: Array.from({ length: dims }, (_, i) => (i + 1) / 8),
        inputTextTokenCount: body.inputText.split(/\s+/).length,
      });
    }
    if (modelId.includes("cohere.embed")) {
      const texts = body.texts as string[];
      return void json(res, 200, {
        embeddings: texts.map((_, j) => [j, 0.5, -0.25]),
        id: "fake-cohere",
        response_type: "embeddings_floats",
        texts,
      });
    }
    error(res, 400, "ValidationException", `model ${modelId} does not support InvokeModel here`);
  }
}

function wantsTool(body: Record<string, unknown>): boolean {
  return body.toolConfig !== undefined;
}

function forced(body: Record<string, unknown>): boolean {
  const choice = (body.toolConfig as { toolChoice?: Record<string, unknown> } | undefined)?.toolChoice;
  return choice !== undefined && (choice.any !== undefined || choice.tool !== undefined);
}

function toolName(body: Record<string, unknown>): string {
  const named = (body.toolConfig as { toolChoice?: { tool?: { name?: string } } } | undefined)?.toolChoice
    ?.tool?.name;
  if (named) return named;
  const tools = (body.toolConfig as { tools?: Array<{ toolSpec?: { name?: string } }> } | undefined)?.tools;
  return tools?.[0]?.toolSpec?.name ?? "tool";
}

function json(res: ServerResponse, status: number, v: object): void {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-requestid": "fake" });
  res.end(JSON.stringify(v));
}

function error(
  res: ServerResponse,
  status: number,
  exception: string,
  message: string,
  retryAfter?: number,
): void {
  const h: Record<string, string> = {
    "content-type": "application/json",
    "x-amzn-errortype": `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  };
  if (retryAfter !== undefined) h["retry-after"] = String(retryAfter);
  res.writeHead(status, h);
  res.end(JSON.stringify({ message }));
}
