import { errorMessage } from "../errors.js";
import {
  AttemptRefused,
  type Provider,
  type UpstreamRequest,
  type UpstreamTarget,
} from "../providers/contract.js";
import type { CallResult } from "../router/attempt.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { commitBinary } from "./binary-commit.js";
import type { CallContext, UpstreamReply } from "./call-types.js";
import { Cancel } from "./cancel.js";
import { sendBuffered, sendStreaming, type UpstreamPools } from "./client.js";
import { decodeBuffered } from "./decode.js";
import { type AttemptFailure, failureFromError, gatewayFailure, isGatewaySide } from "./errors.js";
import { commitStream } from "./stream-commit.js";

export type { CallContext, CommittedStream, UpstreamReply } from "./call-types.js";

/** Below this, undici's coarse timer wheel would be off by more than ~10 %. */
const PRECISE_BELOW_MS = 5_000;

/** Error bodies are only read for their message: a misbehaving upstream cannot make us buffer megabytes. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * One attempt against one deployment, through its provider. Upstream trouble becomes a failure value,
 * never a throw; so does a failure to build the request, marked as the gateway's own (nothing was
 * sent, and it never counts against the deployment).
 */
export async function callDeployment(
  d: Deployment,
  target: UpstreamTarget,
  provider: Provider,
  pools: UpstreamPools,
  ctx: CallContext,
): Promise<CallResult<UpstreamReply>> {
  // The contract's promise: an operation the wire format cannot carry is refused before any byte is sent.
  if (!provider.operations.has(ctx.op)) return { ok: false, failure: unsupportedOperation(d, ctx.op) };
  let req: UpstreamRequest;
  try {
    const p = provider.prepare(d, target, ctx);
    req = p instanceof Promise ? await p : p;
  } catch (err) {
    if (err instanceof AttemptRefused) return { ok: false, failure: err.failure };
    return { ok: false, failure: gatewayFailure(err, describe(d)) };
  }
  // Long non-streaming timeouts (the 600 s default) need no timer or controller of their own: undici's
  // headers/body timeouts bound them (its timer wheel ticks every ~0.5 s, fine at that scale) and the
  // request's signal carries a client abort. Short timeouts need a precise timer, and a stream needs
  // time-to-first-event enforced beyond the headers and its own controller to cancel it after the commit.
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
  const opts = {
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    signal: ctl ?? ctx.signal,
    headersTimeoutMs: limit,
    bodyTimeoutMs: d.timeoutMs,
  };
  const pool = pools.get(target.origin);
  try {
    if (!ctx.stream) {
      const r = await sendBuffered(pool, opts, MAX_ERROR_BODY);
      done();
      if (r.statusCode >= 400) {
        return {
          ok: false,
          failure: redactKey(provider.mapError(r.statusCode, r.headers, r.body, describe(d)), d),
        };
      }
      const decoded = decodeBuffered(provider, d, ctx, r.body, describe(d));
      if (!decoded.ok) return decoded;
      const { body, usage } = decoded.value;
      return {
        ok: true,
        value: { status: r.statusCode, headers: r.headers, body, usage, stream: undefined },
      };
    }
    const res = await sendStreaming(pool, opts);
    if (res.statusCode >= 400) {
      const buf = await readAll(res.body, MAX_ERROR_BODY);
      done();
      return {
        ok: false,
        failure: redactKey(provider.mapError(res.statusCode, res.headers, buf, describe(d)), d),
      };
    }
    if (ctx.binary) {
      const stream = await commitBinary(res.body, () => ctl?.abort());
      if (timer) clearTimeout(timer);
      return {
        ok: true,
        value: {
          status: res.statusCode,
          headers: res.headers,
          body: undefined,
          usage: undefined,
          stream: { ...stream, pipe: (sink) => stream.pipe(sink).finally(done) },
        },
      };
    }
    // Commit only once the first whole event is here (translated, for a translating provider):
    // until then a failure may still fall over to another deployment.
    const committed = await commitStream(provider, d, ctx, res, describe(d), () => ctl?.abort());
    if (timer) clearTimeout(timer);
    if (!committed.ok) {
      done();
      return committed;
    }
    const stream = committed.value;
    return {
      ok: true,
      value: {
        status: res.statusCode,
        headers: res.headers,
        body: undefined,
        usage: undefined,
        stream: {
          first: stream.first,
          cancel: stream.cancel,
          errorEvent: stream.errorEvent,
          // The client-abort link is released when the stream ends, however it ends.
          pipe: (sink) => stream.pipe(sink).finally(done),
        },
      },
    };
  } catch (err) {
    done();
    // undici or node refusing our own arguments before anything was sent is the gateway's failure.
    if (isGatewaySide(err)) return { ok: false, failure: gatewayFailure(err, describe(d)) };
    return { ok: false, failure: failureFromError(err, describe(d), timedOut) };
  }
}

/** The request's fault, not the deployment's (bad_request: no retry, no cooldown). */
function unsupportedOperation(d: Deployment, op: Operation): AttemptFailure {
  return {
    kind: "bad_request",
    status: 400,
    message: errorMessage("operation_not_supported", { group: d.modelGroup, op, provider: d.provider }),
    type: "invalid_request_error",
    code: "operation_not_supported",
    param: "model",
    retryAfterMs: undefined,
    passHeaders: undefined,
    local: true,
  };
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

async function readAll(
  body: AsyncIterable<Buffer> & { destroy?: () => void },
  limit: number,
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
