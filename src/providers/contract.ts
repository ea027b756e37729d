import type { IncomingHttpHeaders } from "node:http";
import type { Deployment, Operation } from "../router/deployment.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Usage } from "../wire/usage.js";

/**
 * The provider contract, version 2: everything Meridian needs to know about one upstream wire format,
 * in one file. A provider translates and nothing else — no sockets, no retries, no region decisions:
 * the attempt loop picks the deployment, the upstream client sends what `prepare` built, and the
 * answer comes back through `decode`, a stream translator or `mapError`.
 *
 * Two kinds exist. A *passthrough* provider (OpenAI, Azure) speaks OpenAI's wire format already: its
 * bytes are forwarded unchanged and usage is read from what passes. A *translating* provider
 * (Anthropic, Bedrock, Vertex …) implements `decode` and `stream`, turning its answers into OpenAI's.
 */
export const PROVIDER_CONTRACT_VERSION = 2;

/** What is fixed per deployment: made once at startup, passed back to `prepare`. */
export interface UpstreamTarget {
  /** scheme://host:port — one undici Pool per origin. */
  readonly origin: string;
  /** Path and query of each operation when they do not depend on the request (passthrough). */
  readonly paths: Readonly<Partial<Record<Operation, string>>>;
  /** Static request headers: auth, content type, extra_headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One attempt as the provider sees it. `body` is the client's parsed body; never mutated. */
export interface AttemptInput {
  readonly op: Operation;
  readonly body: Readonly<Record<string, unknown>>;
  readonly stream: boolean;
  /**
   * Ask the upstream for usage at the end of a stream (OpenAI `stream_options.include_usage`), whether
   * or not the client did: tpm routing and accounting count streamed tokens too.
   */
  readonly wantUsage: boolean;
}

/** The request one attempt sends. */
export interface UpstreamRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/** A non-streaming success, in OpenAI's shape. */
export interface Decoded {
  /** The OpenAI JSON body the client receives. */
  readonly body: Buffer;
  readonly usage: Usage | undefined;
}

/** One event of an upstream stream, whatever its framing (SSE, or binary event frames decoded). */
export interface StreamEvent {
  /** SSE `event:` field, or the frame's event type; undefined for plain `data:` events. */
  readonly event: string | undefined;
  readonly data: string;
}

/**
 * What one upstream event becomes: OpenAI chunks to send (maybe none), or an error the upstream sent.
 * `done` marks the stream's final event: events after it are ignored, and a body that ends before
 * one was cut (the client gets an error event, as for an OpenAI stream without `[DONE]`).
 */
export type TranslateStep =
  | { readonly chunks: readonly object[]; readonly usage?: Usage; readonly done?: boolean }
  | { readonly error: AttemptFailure };

/** Per streaming attempt: upstream events in, OpenAI `chat.completion.chunk`s out. */
export interface StreamTranslator {
  push(e: StreamEvent): TranslateStep;
  /** The upstream body ended: any closing chunks, and the usage if it was not reported earlier. */
  end(): { readonly chunks: readonly object[]; readonly usage?: Usage };
}

/**
 * Thrown by `prepare` when the attempt cannot be made for a reason that is not the gateway's bug:
 * the deployment's credentials got no token (counts against it), or the request asks for what this
 * wire format cannot carry (the client's). Its failure is the attempt's result, as if upstream said it.
 */
export class AttemptRefused extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.message);
    this.name = "AttemptRefused";
  }
}

export interface Provider {
  readonly contract: typeof PROVIDER_CONTRACT_VERSION;
  /** OpenAI wire format upstream: bytes forwarded as they are (no decode, no translator). */
  readonly passthrough: boolean;
  /** How stream bodies are framed: `sse` (text/event-stream) or AWS's binary `eventstream`. */
  readonly framing: "sse" | "eventstream";
  /** Operations this wire format can serve; others are refused before any byte is sent. */
  readonly operations: ReadonlySet<Operation>;
  target(d: Deployment): UpstreamTarget;
  /**
   * The request for one attempt: path (may depend on the operation and on streaming), per-request
   * headers (signatures, tokens) and body. May be async (a token fetch, signing). A throw here is the
   * gateway's failure, never the deployment's: nothing was sent — except `AttemptRefused`, whose failure
   * is the attempt's (classified by its kind like any upstream answer).
   */
  prepare(d: Deployment, t: UpstreamTarget, a: AttemptInput): UpstreamRequest | Promise<UpstreamRequest>;
  /** Translating providers: a 2xx body → OpenAI body + usage. Throws when the body is not what it should be. */
  decode?(d: Deployment, a: AttemptInput, body: Buffer): Decoded;
  /** Translating providers: a translator for one streaming attempt. */
  stream?(d: Deployment, a: AttemptInput): StreamTranslator;
  /** An upstream error answer → a failure with its retry class and the OpenAI envelope fields. */
  mapError(status: number, headers: IncomingHttpHeaders, body: Buffer, what: string): AttemptFailure;
}
