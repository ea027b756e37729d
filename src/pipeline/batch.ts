import { GatewayError, gatewayError } from "../errors.js";
import { failureReply } from "../http/failure.js";
import { validateBody } from "../http/validate.js";
import { newCallId } from "../ids/call-id.js";
import { handle, type PipelineDeps } from "./handle.js";
import type { ProxyRequest, ProxyResult } from "./types.js";

/**
 * LiteLLM's batch completions: `"model": "a,b"` on /chat/completions answers a JSON list, one
 * completion per model, in the order asked. Each model is one ordinary request through the whole
 * pipeline — its own policy stage, attempt loop and record — so residency holds per model exactly as
 * for a single request.
 */
export const MAX_BATCH_MODELS = 10;

/** The models of a batch request, or undefined when the body names one model. */
export function batchModels(call: Pick<ProxyRequest, "op" | "pathModel" | "body">): string[] | undefined {
  if (call.op !== "chat" || call.pathModel !== undefined) return undefined;
  const model = (call.body as { model?: unknown } | undefined)?.model;
  if (typeof model !== "string" || !model.includes(",")) return undefined;
  return model
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
}

export async function handleBatch(
  deps: PipelineDeps,
  req: ProxyRequest,
  models: string[],
): Promise<ProxyResult> {
  let body: Record<string, unknown>;
  try {
    body = validateBody("chat", req.body, undefined);
    if (body.stream === true)
      throw gatewayError("invalid_request", { reason: "batch_stream" }, { param: "stream" });
    if (models.length === 0 || models.length > MAX_BATCH_MODELS)
      throw gatewayError(
        "invalid_request",
        { reason: "batch_size", max: MAX_BATCH_MODELS, got: models.length },
        { param: "model" },
      );
    const unknown = models.filter((m) => deps.router.resolveGroup(m) === undefined);
    if (unknown.length > 0)
      throw gatewayError(
        "invalid_model",
        { model: unknown.join(","), available: deps.modelNames },
        { param: "model" },
      );
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    const f = failureReply(err, { ...req.extra, "x-litellm-call-id": req.callId });
    return json(f.status, f.body, f.headers);
  }
  const results = await Promise.all(
    models.map((model, i) =>
      handle(deps, { ...req, callId: i === 0 ? req.callId : newCallId(), body: { ...body, model } }),
    ),
  );
  for (const r of results) r.written?.(undefined);
  const served = results.map((r) => r.status === 200);
  if (!served.some(Boolean)) {
    // Nothing to list: the client gets the first model's refusal as a plain error answer.
    return results[0];
  }
  const slots = results.map((r) => JSON.parse(String(r.body)) as unknown);
  const header = (name: string, missing: string) =>
    results.map((r, i) => (served[i] ? (r.headers[name] ?? missing) : "-")).join(",");
  return json(200, slots, {
    ...req.extra,
    "x-litellm-call-id": req.callId,
    // One header per list slot, in order: which deployment and region served each completion.
    "x-meridian-batch-deployments": header("x-litellm-model-id", "-"),
    "x-meridian-batch-regions": header("x-litellm-model-region", "none"),
  });
}

function json(status: number, value: unknown, headers: Record<string, string>): ProxyResult {
  const payload = JSON.stringify(value);
  return {
    status,
    headers: {
      ...headers,
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(payload)),
    },
    body: payload,
  };
}
