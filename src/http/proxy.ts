import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { identifyEndUser } from "../customers/identify.js";
import { GatewayError } from "../errors.js";
import { PROVIDERS } from "../providers/index.js";
import { LoopFailure, type LoopSuccess, runAttempts } from "../router/attempt.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { type RegionPolicy, UNRESTRICTED } from "../router/filters.js";
import { callDeployment, type UpstreamReply } from "../upstream/call.js";
import { Cancel } from "../upstream/cancel.js";
import { mockReply } from "../upstream/mock.js";
import { batchModels, serveBatch } from "./batch.js";
import { retryAdvice, writeFailure } from "./failure.js";
import type { Gateway } from "./gateway.js";
import { responseCost } from "./headers.js";
import { pipeStream } from "./sse.js";
import { validateBody } from "./validate.js";

/** Each proxied operation and its path suffix (shared with the fast path). */
export const PROXY_OPS: ReadonlyArray<[Operation, string]> = [
  ["chat", "chat/completions"],
  ["completions", "completions"],
  ["embeddings", "embeddings"],
];

export function registerProxyRoutes(app: FastifyInstance, gw: Gateway): void {
  for (const [op, suffix] of PROXY_OPS) {
    // Requests on a real socket take the fast path (fast-path.ts) and never get here; these routes
    // serve inject() and tell the 404/405 handler which methods exist. Both run the same proxy().
    const handler = (req: FastifyRequest, reply: FastifyReply) => {
      // Headers hooks set on the reply (e.g. the lenient-JSON warning) would be lost on hijack.
      const set = reply.getHeaders();
      const extra: Record<string, string> = {};
      for (const k in set) if (set[k] !== undefined) extra[k] = String(set[k]);
      reply.hijack();
      return proxy(gw, {
        op,
        pathModel: (req.params as { model?: string }).model,
        headers: req.headers,
        rawHeaders: req.raw.rawHeaders,
        body: req.body,
        res: reply.raw,
        extra,
      });
    };
    app.post(`/${suffix}`, handler);
    app.post(`/v1/${suffix}`, handler);
    // Azure OpenAI clients (AzureOpenAI SDK) put the model in the path.
    app.post(`/openai/deployments/:model/${suffix}`, handler);
    app.post(`/v1/openai/deployments/:model/${suffix}`, handler);
    app.post(`/engines/:model/${suffix}`, handler);
  }
}

export interface ProxyCall {
  op: Operation;
  /** The model named in an Azure-style path, if any. */
  pathModel: string | undefined;
  headers: IncomingHttpHeaders;
  /** Node's header list, unjoined: tells repeated identity headers apart (see identifyEndUser). */
  rawHeaders?: readonly string[];
  /** The parsed JSON body (undefined when empty). */
  body: unknown;
  res: ServerResponse;
  /** Headers every answer carries (e.g. the lenient-JSON warning). */
  extra: Record<string, string> | undefined;
}

/**
 * One proxied request, start to finish, written straight to node's response: the bytes are
 * upstream's, and Fastify's send pipeline (serialization, onSend hooks) has nothing to add.
 * Never rejects: every outcome, even a bug, is an answer on `res`.
 */
export async function proxy(gw: Gateway, call: ProxyCall): Promise<void> {
  try {
    const batch = batchModels(call);
    await (batch ? serveBatch(gw, call, batch) : serve(gw, call));
  } catch (err) {
    gw.logger.error({ err, op: call.op }, "unhandled error in proxy");
    writeFailure(
      call.res,
      new GatewayError("internal_error", `Internal error while handling ${call.op}; see the gateway log.`),
      call.extra,
    );
  }
}

async function serve(gw: Gateway, call: ProxyCall): Promise<void> {
  const { op, pathModel, res } = call;
  const started = performance.now();
  const callId = randomUUID();
  let model: string | undefined = pathModel;
  let endUserId: string | undefined;
  let body: Record<string, unknown>;
  let group: string | undefined;
  let policy: RegionPolicy;
  try {
    body = validateBody(op, call.body, pathModel);
    model = pathModel ?? (body.model as string);
    group = gw.router.resolveGroup(model);
    if (group === undefined) {
      throw new GatewayError(
        "invalid_model",
        `Invalid model name passed in model=${model}. Available models: ${gw.modelNames.join(", ") || "(none configured)"}`,
        { param: "model" },
      );
    }
    endUserId = identifyEndUser(call.headers, body, call.rawHeaders)?.id;
    // Sync fast path for a cached end user; the store only when it is not (policyFor throws refusals).
    const cached = gw.customers.cached(endUserId, Date.now());
    if (cached instanceof GatewayError) throw cached;
    policy = cached ?? (await gw.customers.policyFor(endUserId));
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    // Refused before any attempt (bad body, unknown model, blocked customer, store down): still one
    // log line and a call id, so a refusal can be traced like any other request.
    gw.log.request({
      callId,
      // metrics label by model group only (bounded); the raw requested model goes to the log line
      group: group ?? "(unknown)",
      model,
      policy: { ...UNRESTRICTED, endUserId },
      status: "error",
      error: err,
      attempts: [],
      ms: performance.now() - started,
    });
    return writeFailure(res, err, { ...call.extra, "x-litellm-call-id": callId });
  }
  const stream = op !== "embeddings" && body.stream === true;

  const abort = new Cancel();
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once("close", onClose);

  const ctx = { op, body, stream, signal: abort };
  let upstreamMs = 0;
  let result: LoopSuccess<UpstreamReply>;
  try {
    result = await runAttempts(gw.router, {
      group,
      model,
      policy,
      signal: abort,
      estimatedTokens: estimateTokens(call.headers),
      holdUntilRelease: stream,
      call: async (d: Deployment) => {
        const t = performance.now();
        const r =
          d.mockResponse !== undefined
            ? mockReply(d, op, stream)
            : await callDeployment(d, gw.targets.get(d.id)!, PROVIDERS[d.provider], gw.pools, ctx);
        upstreamMs += performance.now() - t;
        return r;
      },
    });
  } catch (err) {
    res.off("close", onClose);
    if (err instanceof LoopFailure) {
      // An upstream error still says which deployment (and region) gave it: the last one tried.
      const lastTried = err.attempts[err.attempts.length - 1];
      const h = {
        ...call.extra,
        ...(lastTried ? gw.deploymentHeaders.get(lastTried.deploymentId) : undefined),
        ...attemptHeaders(callId, err.retries, err.fallbacks, gw.maxRetries),
        ...retryAdvice(err.error, err.attempts.length),
      };
      gw.log.request({
        callId,
        group,
        policy,
        status: "error",
        error: err.error,
        attempts: err.attempts,
        ms: performance.now() - started,
      });
      return writeFailure(res, err.error, h);
    }
    throw err;
  }

  const d = result.deployment;
  const up = result.value;
  const headers: Record<string, string> = {
    ...call.extra,
    ...gw.deploymentHeaders.get(d.id),
    ...attemptHeaders(callId, result.retries, result.fallbacks, gw.maxRetries),
  };
  const ct = up.headers["content-type"];
  headers["content-type"] = typeof ct === "string" ? ct : stream ? "text/event-stream" : "application/json";
  for (const k in up.headers) if (k.startsWith("x-ratelimit-")) headers[k] = String(up.headers[k]);
  const total = performance.now() - started;
  headers["x-litellm-response-duration-ms"] = total.toFixed(3);
  headers["x-litellm-overhead-duration-ms"] = Math.max(0, total - upstreamMs).toFixed(3);
  const served = (ms: number, stream: string | undefined) =>
    gw.log.request({
      callId,
      group,
      policy,
      status: up.status,
      deployment: d,
      attempts: result.attempts,
      ms,
      overheadMs: total - upstreamMs,
      stream,
    });

  if (!stream) {
    res.off("close", onClose);
    const buf = up.body ?? Buffer.alloc(0);
    if (gw.usage) gw.usage(d, buf);
    const cost = responseCost(d, buf);
    if (cost !== undefined) headers["x-litellm-response-cost"] = String(cost);
    headers["content-length"] = String(buf.length);
    res.writeHead(up.status, headers);
    res.end(buf);
    // After the answer is on its way: the log line and metrics are not the client's wait.
    served(total, undefined);
    return;
  }

  headers["cache-control"] = "no-cache";
  headers.connection = "keep-alive";
  // A stream can last minutes and the prompt (up to max_request_size_mb) is no longer needed once it
  // has committed: nothing here keeps it. With 500 streams of 100 KB prompts in flight, the heap
  // left after a full GC went from 102-118 MB to 70-78 MB.
  body = RELEASED;
  ctx.body = RELEASED;
  call.body = undefined;
  const outcome = await pipeStream(res, up, headers, abort).finally(result.release);
  res.off("close", onClose);
  served(performance.now() - started, outcome);
}

const RELEASED: Readonly<Record<string, unknown>> = Object.freeze({});

function attemptHeaders(
  callId: string,
  retries: number,
  fallbacks: number,
  maxRetries: string,
): Record<string, string> {
  return {
    "x-litellm-call-id": callId,
    "x-litellm-attempted-retries": String(retries),
    "x-litellm-attempted-fallbacks": String(fallbacks),
    "x-litellm-max-retries": maxRetries,
  };
}

/** Rough token estimate for usage-based routing: ~4 bytes per token of the request body. */
function estimateTokens(headers: IncomingHttpHeaders): number {
  const len = Number(headers["content-length"] ?? 0);
  return Number.isFinite(len) ? Math.ceil(len / 4) : 0;
}
