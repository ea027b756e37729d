import { randomUUID } from "node:crypto";
import { identifyEndUser } from "../customers/identify.js";
import { envelope, GatewayError } from "../errors.js";
import { PROVIDERS } from "../providers/index.js";
import { LoopFailure, runAttempts } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import { type RegionPolicy, UNRESTRICTED } from "../router/filters.js";
import { callDeployment } from "../upstream/call.js";
import { Cancel } from "../upstream/cancel.js";
import { mockReply } from "../upstream/mock.js";
import { failureReply, writeFailure } from "./failure.js";
import type { Gateway } from "./gateway.js";
import type { ProxyCall } from "./proxy.js";
import { validateBody } from "./validate.js";

/**
 * LiteLLM's batch completions: `"model": "a,b"` on /chat/completions answers a JSON list, one
 * completion per model, in the order asked. Each model is routed by the normal attempt loop with
 * the caller's one region policy, so residency holds per model exactly as for a single request.
 */
export const MAX_BATCH_MODELS = 10;

/** The models of a batch request, or undefined when the body names one model. */
export function batchModels(call: Pick<ProxyCall, "op" | "pathModel" | "body">): string[] | undefined {
  if (call.op !== "chat" || call.pathModel !== undefined) return undefined;
  const model = (call.body as { model?: unknown } | undefined)?.model;
  if (typeof model !== "string" || !model.includes(",")) return undefined;
  return model
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
}

type Slot =
  | { ok: true; d: Deployment; value: unknown }
  | { ok: false; status: number; body: unknown; headers?: Record<string, string> };

/** Never rejects for a GatewayError: refusals are answered on `call.res`. */
export async function serveBatch(gw: Gateway, call: ProxyCall, models: string[]): Promise<void> {
  const started = performance.now();
  const callId = randomUUID();
  const extra = { ...call.extra, "x-litellm-call-id": callId };
  let body: Record<string, unknown>;
  let policy: RegionPolicy;
  let endUserId: string | undefined;
  try {
    body = validateBody("chat", call.body, undefined);
    if (body.stream === true)
      throw new GatewayError("invalid_request", "Batch completions (model: 'a,b') cannot stream.", {
        param: "stream",
      });
    if (models.length === 0 || models.length > MAX_BATCH_MODELS)
      throw new GatewayError(
        "invalid_request",
        `A batch names 1 to ${MAX_BATCH_MODELS} models separated by commas; got ${models.length}.`,
        { param: "model" },
      );
    const unknown = models.filter((m) => gw.router.resolveGroup(m) === undefined);
    if (unknown.length > 0)
      throw new GatewayError(
        "invalid_model",
        `Invalid model name passed in model=${unknown.join(",")}. Available models: ${gw.modelNames.join(", ")}`,
        { param: "model" },
      );
    endUserId = identifyEndUser(call.headers, body)?.id;
    // The policy is read once, before any model is tried: no model is served on a guess.
    policy = await gw.customers.policyFor(endUserId);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    gw.log.request({
      callId,
      group: "(batch)",
      policy: { ...UNRESTRICTED, endUserId },
      status: "error",
      error: err,
      attempts: [],
      ms: performance.now() - started,
    });
    return writeFailure(call.res, err, extra);
  }

  const abort = new Cancel();
  const onClose = () => {
    if (!call.res.writableFinished) abort.abort();
  };
  call.res.once("close", onClose);
  const slots = await Promise.all(models.map((m) => serveOne(gw, body, m, policy, abort, callId, started)));
  call.res.off("close", onClose);

  const served = slots.filter((s): s is Extract<Slot, { ok: true }> => s.ok);
  if (served.length === 0) {
    // Nothing to list: the client gets the first model's refusal as a plain error answer.
    const first = slots[0] as Extract<Slot, { ok: false }>;
    return writeJson(call.res, first.status, first.body, { ...first.headers, ...extra });
  }
  writeJson(
    call.res,
    200,
    slots.map((s) => (s.ok ? s.value : s.body)),
    {
      ...extra,
      // One header per list slot, in order: which deployment and region served each completion.
      "x-meridian-batch-deployments": slots.map((s) => (s.ok ? s.d.id : "-")).join(","),
      "x-meridian-batch-regions": slots.map((s) => (s.ok ? (s.d.geography ?? "none") : "-")).join(","),
    },
  );
}

async function serveOne(
  gw: Gateway,
  body: Record<string, unknown>,
  model: string,
  policy: RegionPolicy,
  signal: Cancel,
  callId: string,
  started: number,
): Promise<Slot> {
  const group = gw.router.resolveGroup(model) as string;
  const ctx = { op: "chat" as const, body: { ...body, model }, stream: false, signal };
  try {
    const r = await runAttempts(gw.router, {
      group,
      model,
      policy,
      signal,
      estimatedTokens: 0,
      call: (d: Deployment) =>
        d.mockResponse !== undefined
          ? Promise.resolve(mockReply(d, "chat", false))
          : callDeployment(d, gw.targets.get(d.id)!, PROVIDERS[d.provider], gw.pools, ctx),
    });
    const buf = r.value.body ?? Buffer.alloc(0);
    if (gw.usage) gw.usage(r.deployment, buf);
    gw.log.request({
      callId,
      group,
      policy,
      status: r.value.status,
      deployment: r.deployment,
      attempts: r.attempts,
      ms: performance.now() - started,
    });
    let value: unknown;
    try {
      value = JSON.parse(buf.toString("utf8"));
    } catch {
      const e = envelope(
        `deployment ${r.deployment.id} answered with invalid JSON`,
        "api_error",
        null,
        "upstream_invalid_response",
      );
      return { ok: false, status: 502, body: e };
    }
    return { ok: true, d: r.deployment, value };
  } catch (err) {
    if (!(err instanceof LoopFailure)) throw err;
    gw.log.request({
      callId,
      group,
      policy,
      status: "error",
      error: err.error,
      attempts: err.attempts,
      ms: performance.now() - started,
    });
    const f = failureReply(err.error);
    return { ok: false, status: f.status, body: f.body, headers: f.headers };
  }
}

function writeJson(
  res: ProxyCall["res"],
  status: number,
  value: unknown,
  headers: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}
