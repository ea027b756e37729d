import type { IncomingHttpHeaders } from "node:http";
import type { Provider, UpstreamTarget } from "../providers/index.js";
import type { CallResult } from "../router/attempt.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { Cancel, type CancelSignal } from "./cancel.js";
import type { ChunkSource } from "./chunks.js";
import { sendBuffered, sendStreaming, type UpstreamPools } from "./client.js";
import { type AttemptFailure, failureFromError, failureFromResponse, isGatewaySide } from "./errors.js";
import { invalidReply, notEventStreamStart, notEventStreamType, notJsonObject } from "./reply-check.js";

export interface UpstreamReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Non-streaming: the whole body, passed through unchanged. */
  body: Buffer | undefined;
  /** Streaming: the first chunk (already received: the stream is committed) and the rest. */
  first: Buffer | undefined;
  rest: ChunkSource | undefined;
  /** Stop reading and release the connection (client went away). */
  cancel: () => void;
}

export interface CallContext {
  op: Operation;
  body: Readonly<Record<string, unknown>>;
  stream: boolean;
  signal: CancelSignal;
}

const noop = () => {};

/** Below this, undici's coarse timer wheel would be off by more than ~10 %. */
const PRECISE_BELOW_MS = 5_000;

/** One attempt against one deployment. Upstream trouble becomes a failure value, never a throw. */
export async function callDeployment(
  d: Deployment,
  target: UpstreamTarget,
  provider: Provider,
  pools: UpstreamPools,
  ctx: CallContext,
): Promise<CallResult<UpstreamReply>> {
  // Long non-streaming timeouts (the 600 s default) need no timer or controller of their own: undici's
  // headers/body timeouts bound them (its timer wheel ticks every ~0.5 s, fine at that scale) and the
  // request's signal carries a client abort. Short timeouts need a precise timer, and a stream needs
  // time-to-first-chunk enforced beyond the headers and its own controller to cancel it after the commit.
  // Serialising is the gateway's work: if it throws, no byte has left and the deployment is not to
  // blame. The throw goes to the caller (a 500 and a log line), never into cooldowns or retries.
  const payload = provider.body(d, ctx.op, ctx.body);
  const precise = ctx.stream || d.timeoutMs < PRECISE_BELOW_MS;
  const ctl = precise ? new Cancel() : undefined;
  const onClientAbort = ctl ? () => ctl.abort() : undefined;
  if (onClientAbort) ctx.signal.addEventListener("abort", onClientAbort);
  let timedOut = false;
  const limit = ctx.stream ? d.streamTimeoutMs : d.timeoutMs;
  const timer = ctl
    ? setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, limit)
    : undefined;
  const done = () => {
    if (timer) clearTimeout(timer);
    if (onClientAbort) ctx.signal.removeEventListener("abort", onClientAbort);
  };
  try {
    const opts = {
      path: target.paths[ctx.op],
      headers: target.headers,
      body: payload,
      signal: ctl ?? ctx.signal,
      headersTimeoutMs: limit,
      bodyTimeoutMs: d.timeoutMs,
    };
    const pool = pools.get(target.origin);
    if (!ctx.stream) {
      const r = await sendBuffered(pool, opts, MAX_ERROR_BODY);
      done();
      if (r.statusCode >= 400) {
        return {
          ok: false,
          failure: redactKey(failureFromResponse(r.statusCode, r.headers, r.body, describe(d)), d),
        };
      }
      const broken = notJsonObject(r.body);
      if (broken) return { ok: false, failure: invalidReply(describe(d), broken) };
      return {
        ok: true,
        value: {
          status: r.statusCode,
          headers: r.headers,
          body: r.body,
          first: undefined,
          rest: undefined,
          cancel: noop,
        },
      };
    }
    const res = await sendStreaming(pool, opts);
    if (res.statusCode >= 400) {
      const buf = await readAll(res.body, MAX_ERROR_BODY);
      done();
      return {
        ok: false,
        failure: redactKey(failureFromResponse(res.statusCode, res.headers, buf, describe(d)), d),
      };
    }
    // Streaming: commit only once the first chunk is here and opens an event stream; until then a
    // failure may still fall over. A JSON answer to `stream: true` is refused on its content type.
    const wrongType = notEventStreamType(res.headers);
    if (wrongType) {
      res.body.destroy();
      done();
      return { ok: false, failure: invalidReply(describe(d), wrongType) };
    }
    const it: ChunkSource = res.body;
    const first = await it.next();
    clearTimeout(timer);
    if (first.done) {
      done();
      return { ok: false, failure: emptyStream(describe(d)) };
    }
    const notSse = notEventStreamStart(first.value);
    if (notSse) {
      res.body.destroy();
      done();
      return { ok: false, failure: invalidReply(describe(d), notSse) };
    }
    const cancel = () => {
      ctl?.abort();
      res.body.destroy();
    };
    // The client-abort link and the timer are released when the stream ends (withRelease).
    return {
      ok: true,
      value: {
        status: res.statusCode,
        headers: res.headers,
        body: undefined,
        first: first.value,
        rest: withRelease(it, done),
        cancel,
      },
    };
  } catch (err) {
    done();
    if (isGatewaySide(err)) throw err;
    return { ok: false, failure: failureFromError(err, describe(d), timedOut) };
  }
}

/** Only built for failures: the success path allocates no description. */
function describe(d: Deployment): string {
  return `deployment ${d.id} (${d.modelGroup}${d.geography ? `, ${d.geography}` : ""})`;
}

/** Some upstreams quote the key they were sent ("Incorrect API key provided: sk-…"); it never reaches a client. */
function redactKey(f: AttemptFailure, d: Deployment): AttemptFailure {
  // Keys shorter than 8 characters are test placeholders; replacing them would mangle ordinary words.
  if (d.apiKey && d.apiKey.length >= 8 && f.message.includes(d.apiKey))
    f.message = f.message.replaceAll(d.apiKey, "[redacted]");
  return f;
}

/** Error bodies are only read for their message: a misbehaving upstream cannot make us buffer megabytes. */
const MAX_ERROR_BODY = 64 * 1024;

async function readAll(
  body: AsyncIterable<Buffer> & { destroy?: () => void },
  limit = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    chunks.push(c);
    size += c.length;
    if (size >= limit) {
      body.destroy?.();
      break;
    }
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function emptyStream(what: string): AttemptFailure {
  return {
    kind: "server",
    status: 502,
    message: `${what} closed the stream before sending anything`,
    type: "api_error",
    code: "upstream_invalid_response",
    param: null,
    retryAfterMs: undefined,
    passHeaders: undefined,
  };
}

/** Runs `release` once the body ends, fails or is returned early, however it is read. */
function withRelease(it: ChunkSource, release: () => void): ChunkSource {
  let released = false;
  const once = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  const pipeTo = it.pipeTo?.bind(it);
  return {
    pipeTo: pipeTo && ((sink) => pipeTo(sink).finally(once)),
    async next() {
      try {
        const r = await it.next();
        if (r.done) once();
        return r;
      } catch (e) {
        once();
        throw e;
      }
    },
    async return(v?: unknown) {
      once();
      return (await it.return?.(v)) ?? { done: true, value: undefined };
    },
  };
}
