import type { LoopSuccess } from "../router/attempt.js";
import type { UpstreamReply } from "../upstream/call.js";
import type { ProxyRequest } from "./types.js";

/** Headers every proxied answer carries, success or failure. */
export function answerHeaders(
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

/** A served answer's headers: the deployment's (id, group, api_base, region), attempts, timings. */
export function servedHeaders(
  deps: { deploymentHeaders: ReadonlyMap<string, Readonly<Record<string, string>>>; maxRetries: string },
  req: ProxyRequest,
  result: LoopSuccess<UpstreamReply>,
  upstreamMs: number,
  stream: boolean,
): Record<string, string> {
  const up = result.value;
  const headers: Record<string, string> = {
    ...req.extra,
    ...deps.deploymentHeaders.get(result.deployment.id),
    ...answerHeaders(req.callId, result.retries, result.fallbacks, deps.maxRetries),
  };
  const ct = up.headers["content-type"];
  headers["content-type"] = up.stream?.binary
    ? typeof ct === "string"
      ? ct
      : "application/octet-stream"
    : up.stream && typeof ct === "string" && ct.includes("text/event-stream")
      ? ct
      : up.stream || stream
        ? "text/event-stream"
        : typeof ct === "string"
          ? ct
          : "application/json";
  for (const k in up.headers) if (k.startsWith("x-ratelimit-")) headers[k] = String(up.headers[k]);
  const total = performance.now() - req.started;
  headers["x-litellm-response-duration-ms"] = total.toFixed(3);
  headers["x-litellm-overhead-duration-ms"] = Math.max(0, total - upstreamMs).toFixed(3);
  return headers;
}
