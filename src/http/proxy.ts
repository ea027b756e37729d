import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { identifyEndUser } from "../customers/identify.js";
import { GatewayError } from "../errors.js";
import { PROVIDERS } from "../providers/index.js";
import { LoopFailure, type LoopSuccess, runAttempts } from "../router/attempt.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { type RegionPolicy, UNRESTRICTED } from "../router/filters.js";
import { callDeployment, type UpstreamReply } from "../upstream/call.js";
import { mockReply } from "../upstream/mock.js";
import { sendFailure } from "./errors.js";
import type { Gateway } from "./gateway.js";
import { responseCost } from "./headers.js";
import { pipeStream } from "./sse.js";
import { validateBody } from "./validate.js";

const OPS: ReadonlyArray<[Operation, string]> = [
  ["chat", "chat/completions"],
  ["completions", "completions"],
  ["embeddings", "embeddings"],
];

export function registerProxyRoutes(app: FastifyInstance, gw: Gateway): void {
  for (const [op, suffix] of OPS) {
    const handler = (req: FastifyRequest, reply: FastifyReply) => proxy(gw, op, req, reply);
    app.post(`/${suffix}`, handler);
    app.post(`/v1/${suffix}`, handler);
    // Azure OpenAI clients (AzureOpenAI SDK) put the model in the path.
    app.post(`/openai/deployments/:model/${suffix}`, handler);
    app.post(`/v1/openai/deployments/:model/${suffix}`, handler);
    app.post(`/engines/:model/${suffix}`, handler);
  }
}

async function proxy(gw: Gateway, op: Operation, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const started = performance.now();
  const callId = randomUUID();
  const pathModel = (req.params as { model?: string }).model;
  let model: string | undefined = pathModel;
  let endUserId: string | undefined;
  let body: Record<string, unknown>;
  let group: string | undefined;
  let policy: RegionPolicy;
  try {
    body = validateBody(op, req.body, pathModel);
    model = pathModel ?? (body.model as string);
    group = gw.router.resolveGroup(model);
    if (group === undefined) {
      throw new GatewayError(
        "invalid_model",
        `Invalid model name passed in model=${model}. Available models: ${gw.modelNames.join(", ") || "(none configured)"}`,
        { param: "model" },
      );
    }
    endUserId = identifyEndUser(req.headers, body)?.id;
    // Sync fast path for a cached end user; the store only when it is not (policyFor throws refusals).
    const cached = gw.customers.cached(endUserId, Date.now());
    if (cached instanceof GatewayError) throw cached;
    policy = cached ?? (await gw.customers.policyFor(endUserId));
  } catch (err) {
    // Refused before any attempt (bad body, unknown model, blocked customer, store down): still one
    // log line and a call id, so a refusal can be traced like any other request.
    if (err instanceof GatewayError) {
      reply.header("x-litellm-call-id", callId);
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
    }
    throw err;
  }
  const stream = op !== "embeddings" && body.stream === true;

  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort();
  };
  reply.raw.once("close", onClose);

  const ctx = { op, body, stream, signal: abort.signal };
  let upstreamMs = 0;
  let result: LoopSuccess<UpstreamReply>;
  try {
    result = await runAttempts(gw.router, {
      group,
      model,
      policy,
      signal: abort.signal,
      estimatedTokens: estimateTokens(req),
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
    reply.raw.off("close", onClose);
    if (err instanceof LoopFailure) {
      // An upstream error still says which deployment (and region) gave it: the last one tried.
      const lastTried = err.attempts[err.attempts.length - 1];
      const h = {
        ...(lastTried ? gw.deploymentHeaders.get(lastTried.deploymentId) : undefined),
        ...attemptHeaders(callId, err.retries, err.fallbacks, gw.maxRetries),
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
      return sendFailure(reply, err.error, h);
    }
    throw err;
  }

  const d = result.deployment;
  const up = result.value;
  const headers: Record<string, string> = {
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

  // Headers hooks set on the reply (e.g. the lenient-JSON warning) would be lost on hijack.
  const set = reply.getHeaders();
  for (const k in set) if (!(k in headers) && set[k] !== undefined) headers[k] = String(set[k]);
  // Written straight to node's response: the bytes are upstream's, Fastify's send pipeline
  // (serialization, onSend hooks) has nothing to add and costs ~10 % of a request.
  reply.hijack();

  if (!stream) {
    reply.raw.off("close", onClose);
    const buf = up.body ?? Buffer.alloc(0);
    if (gw.usage) gw.usage(d, buf);
    const cost = responseCost(d, buf);
    if (cost !== undefined) headers["x-litellm-response-cost"] = String(cost);
    headers["content-length"] = String(buf.length);
    served(total, undefined);
    reply.raw.writeHead(up.status, headers);
    reply.raw.end(buf);
    return;
  }

  headers["cache-control"] = "no-cache";
  headers.connection = "keep-alive";
  const outcome = await pipeStream(reply.raw, up, headers, abort.signal).finally(result.release);
  reply.raw.off("close", onClose);
  served(performance.now() - started, outcome);
}

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
function estimateTokens(req: FastifyRequest): number {
  const len = Number(req.headers["content-length"] ?? 0);
  return Number.isFinite(len) ? Math.ceil(len / 4) : 0;
}
