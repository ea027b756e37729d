import { createVerify, generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Local fakes of Google's APIs in their real wire formats, for the vertex_ai/ and gemini/ providers:
 *  - TokenFake: the OAuth token endpoint. It verifies the RS256 JWT assertion of a service account
 *    (signature with the public key of a key pair made here, iss, aud, scope, exp) before it issues
 *    an access token, as oauth2.googleapis.com does.
 *  - GoogleFake: one Vertex AI location (…/publishers/google/models/{m}:generateContent,
 *    :streamGenerateContent?alt=sse, :predict; Claude at …/publishers/anthropic/models/{m}:rawPredict and
 *    :streamRawPredict, Anthropic's Messages format; Bearer tokens from a TokenFake) and AI Studio
 *    (/v1beta/models/{m}:generateContent, :streamGenerateContent, :batchEmbedContents; x-goog-api-key).
 */

const GOOGLE_TOKEN_AUD = "https://oauth2.googleapis.com/token";
const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function googleError(res: ServerResponse, code: number, status: string, message: string, headers = {}): void {
  res.writeHead(code, { "content-type": "application/json; charset=UTF-8", ...headers });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

export class TokenFake {
  url = "";
  /** Assertions accepted, and tokens issued, in order. */
  readonly issued: string[] = [];
  readonly refused: string[] = [];
  /** Lifetime of the tokens it issues, seconds. */
  expiresIn = 3600;
  /** Answer the next request with this status instead (an outage, a throttled endpoint). */
  failNext: number | undefined;
  private readonly keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  private readonly valid = new Map<string, number>();
  private server: Server | undefined;

  constructor(readonly email = "meridian-test@test-project.iam.gserviceaccount.com") {}

  /** A service-account key as Google issues them, signed by this fake's key pair, token_uri here. */
  serviceAccount(): Record<string, string> {
    return {
      type: "service_account",
      project_id: "test-project",
      private_key_id: "0123456789abcdef",
      private_key: this.keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: this.email,
      client_id: "123456789",
      token_uri: `${this.url}/token`,
    };
  }

  /** A key for the same account whose private key this fake does not know (a revoked or foreign key). */
  foreignServiceAccount(): Record<string, string> {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    return {
      ...this.serviceAccount(),
      private_key: other.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    };
  }

  isValid(token: string): boolean {
    const until = this.valid.get(token);
    return until !== undefined && until > Date.now();
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listen(this.server);
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const deny = (why: string, description: string) => {
      this.refused.push(description);
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: why, error_description: description }));
    };
    if (this.failNext !== undefined) {
      const status = this.failNext;
      this.failNext = undefined;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal_failure", error_description: "backend error" }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/token") return deny("invalid_request", "POST /token only");
    if (form.get("grant_type") !== JWT_GRANT) return deny("unsupported_grant_type", "Invalid grant_type");
    const [h, p, sig] = (form.get("assertion") ?? "").split(".");
    if (!h || !p || !sig) return deny("invalid_grant", "Invalid JWT: not three segments");
    const header = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg?: string };
    if (header.alg !== "RS256") return deny("invalid_grant", "Invalid JWT: alg must be RS256");
    const verify = createVerify("RSA-SHA256");
    verify.update(`${h}.${p}`);
    if (!verify.verify(this.keys.publicKey, Buffer.from(sig, "base64url")))
      return deny("invalid_grant", "Invalid JWT Signature.");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    const now = Date.now() / 1000;
    if (claims.iss !== this.email) return deny("invalid_grant", "Invalid issuer");
    if (claims.aud !== GOOGLE_TOKEN_AUD) return deny("invalid_grant", "Invalid JWT audience");
    if (!String(claims.scope ?? "").includes("https://www.googleapis.com/auth/cloud-platform"))
      return deny("invalid_scope", "cloud-platform scope required");
    if (
      typeof claims.exp !== "number" ||
      claims.exp < now ||
      typeof claims.iat !== "number" ||
      claims.iat > now + 60
    )
      return deny(
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe",
      );
    const token = `ya29.fake-${this.issued.length + 1}`;
    this.issued.push(token);
    this.valid.set(token, Date.now() + this.expiresIn * 1000);
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ access_token: token, expires_in: this.expiresIn, token_type: "Bearer" }));
  }
}

/** What the next answer does. Default: a whole answer (or stream) that says which fake it is. */
export type GoogleBehavior =
  | { kind: "ok" }
  | { kind: "status"; status: number; retryAfterSeconds?: number }
  /** Stream: an error event before any text. */
  | { kind: "error-first" }
  /** Stream: this many pieces, then an error event and the end of the body. */
  | { kind: "error-after"; pieces: number }
  /** Stream: this many pieces, then the body ends without a finishReason. */
  | { kind: "no-finish"; pieces: number }
  /** A function call to get_weather instead of text. */
  | { kind: "tool-call" }
  /** Stopped by the safety filters. */
  | { kind: "safety" };

export const FAKE_USAGE = { promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 };

export interface SeenRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export class GoogleFake {
  hits = 0;
  readonly requests: SeenRequest[] = [];
  url = "";
  /** Stream events one write each, this far apart (ms); undefined: the whole stream in one write. */
  spacedMs: number | undefined;
  private queue: GoogleBehavior[] = [];
  private server: Server | undefined;

  constructor(
    readonly label: string,
    private readonly auth: { tokens?: TokenFake; apiKey?: string },
    private readonly pieces = 3,
  ) {}

  next(b: GoogleBehavior, times = 1): this {
    for (let i = 0; i < times; i++) this.queue.push(b);
    return this;
  }

  reset(): void {
    this.hits = 0;
    this.requests.length = 0;
    this.queue = [];
    this.spacedMs = undefined;
  }

  piece(i: number): string {
    return i === 0 ? `google ${this.label} says` : ` bit ${i}`;
  }

  text(n = this.pieces): string {
    return Array.from({ length: n }, (_, i) => this.piece(i)).join("");
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listen(this.server);
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    this.hits++;
    const path = req.url ?? "";
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return googleError(res, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    }
    this.requests.push({ path, headers: req.headers, body });
    const claude =
      /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/[^/:]+:(rawPredict|streamRawPredict)$/.exec(
        path,
      );
    const vertex =
      claude ??
      /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/[^/:]+:(\w+)(\?alt=sse)?$/.exec(
        path,
      );
    const studio = /^\/v1beta\/models\/[^/:]+:(\w+)(\?alt=sse)?$/.exec(path);
    const m = vertex ?? studio;
    if (!m || req.method !== "POST") return googleError(res, 404, "NOT_FOUND", `no route ${path}`);
    if (vertex) {
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
      if (!bearer || !this.auth.tokens?.isValid(bearer))
        return googleError(
          res,
          401,
          "UNAUTHENTICATED",
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
    } else if (req.headers["x-goog-api-key"] !== this.auth.apiKey) {
      return googleError(res, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
    }
    const b = this.queue.shift() ?? { kind: "ok" };
    if (b.kind === "status") {
      const h = b.retryAfterSeconds !== undefined ? { "retry-after": String(b.retryAfterSeconds) } : {};
      const status =
        b.status === 429 ? "RESOURCE_EXHAUSTED" : b.status >= 500 ? "UNAVAILABLE" : "INVALID_ARGUMENT";
      return googleError(res, b.status, status, `fake ${this.label} refuses with ${b.status}`, h);
    }
    const method = m[1];
    if (claude) return this.claude(res, body, method === "streamRawPredict", b);
    if (method === "predict") return this.json(res, predictAnswer(body));
    if (method === "batchEmbedContents") return this.json(res, batchEmbedAnswer(body));
    if (method === "generateContent") return this.json(res, this.whole(b));
    if (method === "streamGenerateContent" && m[2]) return this.stream(res, b);
    return googleError(res, 404, "NOT_FOUND", `unknown method ${method}`);
  }

  /** Claude on Vertex: Anthropic's Messages format, `anthropic_version` in the body, no `model`. */
  private claude(
    res: ServerResponse,
    body: Record<string, unknown>,
    stream: boolean,
    b: GoogleBehavior,
  ): void {
    if (body.anthropic_version !== "vertex-2023-10-16" || "model" in body) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          type: "error",
          error: {
            type: "invalid_request_error",
            message: "anthropic_version: vertex-2023-10-16 required, model not allowed",
          },
        }),
      );
      return;
    }
    const usage = { input_tokens: 7, output_tokens: 3 };
    if (!stream) {
      this.json(res, {
        id: `msg_vrtx_${this.label}`,
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4",
        content: [{ type: "text", text: this.text() }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage,
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const ev = (name: string, v: object) =>
      `event: ${name}\ndata: ${JSON.stringify({ type: name, ...v })}\n\n`;
    const out = [
      ev("message_start", {
        message: {
          id: `msg_vrtx_${this.label}`,
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 7, output_tokens: 1 },
        },
      }),
      ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ];
    if (b.kind === "error-first") {
      res.end(ev("error", { error: { type: "overloaded_error", message: "Overloaded" } }));
      return;
    }
    for (let i = 0; i < this.pieces; i++)
      out.push(ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: this.piece(i) } }));
    out.push(
      ev("content_block_stop", { index: 0 }),
      ev("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 3 },
      }),
      ev("message_stop", {}),
    );
    res.end(out.join(""));
  }

  private json(res: ServerResponse, v: unknown): void {
    res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify(v));
  }

  private whole(b: GoogleBehavior): Record<string, unknown> {
    const base = {
      usageMetadata: FAKE_USAGE,
      modelVersion: "gemini-2.5-flash",
      responseId: `r-${this.label}`,
    };
    if (b.kind === "tool-call")
      return {
        candidates: [{ content: { role: "model", parts: [toolCallPart()] }, finishReason: "STOP" }],
        ...base,
      };
    const finishReason = b.kind === "safety" ? "SAFETY" : "STOP";
    return {
      candidates: [{ content: { role: "model", parts: [{ text: this.text() }] }, finishReason }],
      ...base,
    };
  }

  private stream(res: ServerResponse, b: GoogleBehavior): void {
    res.writeHead(200, { "content-type": "text/event-stream", "x-fake": this.label });
    // Google frames its SSE events with CRLF.
    const ev = (v: unknown) => `data: ${JSON.stringify(v)}\r\n\r\n`;
    const piece = (t: string) => ev({ candidates: [{ content: { role: "model", parts: [{ text: t }] } }] });
    const fail = ev({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } });
    if (b.kind === "error-first") return void res.end(fail);
    const events: string[] = [];
    if (b.kind === "tool-call") {
      events.push(
        ev({
          candidates: [{ content: { role: "model", parts: [toolCallPart()] }, finishReason: "STOP" }],
          usageMetadata: FAKE_USAGE,
        }),
      );
    } else {
      const n = b.kind === "error-after" || b.kind === "no-finish" ? b.pieces : this.pieces;
      for (let i = 0; i < n; i++) events.push(piece(this.piece(i)));
      if (b.kind === "error-after") events.push(fail);
      else if (b.kind !== "no-finish")
        events.push(
          ev({
            candidates: [
              {
                content: { role: "model", parts: [{ text: "" }] },
                finishReason: b.kind === "safety" ? "SAFETY" : "STOP",
              },
            ],
            usageMetadata: FAKE_USAGE,
          }),
        );
    }
    if (this.spacedMs === undefined) return void res.end(events.join(""));
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

function toolCallPart() {
  return { functionCall: { name: "get_weather", args: { city: "Paris" } } };
}

/** A vector per text, from its length, so a test can tell which text it belongs to. */
export function fakeVector(text: string): number[] {
  return [text.length, 0.5, -0.25];
}

function predictAnswer(body: Record<string, unknown>) {
  const instances = (body.instances ?? []) as Array<{ content: string }>;
  return {
    predictions: instances.map((i) => ({
      embeddings: { statistics: { truncated: false, token_count: 2 }, values: fakeVector(i.content) },
    })),
    metadata: { billableCharacterCount: instances.reduce((n, i) => n + i.content.length, 0) },
  };
}

function batchEmbedAnswer(body: Record<string, unknown>) {
  const requests = (body.requests ?? []) as Array<{ content: { parts: Array<{ text: string }> } }>;
  return { embeddings: requests.map((r) => ({ values: fakeVector(r.content.parts[0].text) })) };
}
