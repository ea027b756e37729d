import type { GatewayError } from "../errors.js";
import type { StreamOutcome } from "../http/sse.js";
import type { Logger } from "../observability/logger.js";
import type { RequestLog } from "../observability/request-log.js";
import type { AttemptRecord, LoopSuccess } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import type { RouterState } from "../router/state.js";
import type { UpstreamReply } from "../upstream/call.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Usage } from "../wire/usage.js";
import type { ProxyRequest } from "./types.js";

/** What the accounting stage writes to: the request log and metrics, and usage for tpm routing. */
export interface Accounting {
  log: RequestLog;
  logger: Logger;
  /** Routing state that counts tokens per deployment (set when a strategy reads them). */
  tokens: RouterState | undefined;
  cost(d: Deployment, usage: Usage | undefined): number | undefined;
}

export function accountingFor(log: RequestLog, logger: Logger, tokens: RouterState | undefined): Accounting {
  return {
    log,
    logger,
    tokens,
    cost(d, u) {
      if (!u || (d.inputCostPerToken === undefined && d.outputCostPerToken === undefined)) return undefined;
      return u.prompt * (d.inputCostPerToken ?? 0) + u.completion * (d.outputCostPerToken ?? 0);
    },
  };
}

/** Stage 5 for a served request, once the answer is written (a stream: once it ended). */
export function accountServed(
  acc: Accounting,
  req: ProxyRequest,
  group: string,
  policy: RegionPolicy,
  result: LoopSuccess<UpstreamReply>,
  usage: Usage | undefined,
  overheadMs: number,
  stream: StreamOutcome | undefined,
  cacheHit?: boolean,
): void {
  const d = result.deployment;
  // The attempt loop counted the request when it was sent; its tokens are known only now — for
  // streams too, so `stream: true` cannot slip past a tpm limit.
  if (acc.tokens && usage) acc.tokens.recordUsage(d.id, 0, usage.total, Date.now());
  const ms = performance.now() - req.started;
  acc.log.request({
    callId: req.callId,
    group,
    policy,
    status: result.value.status,
    deployment: d,
    attempts: result.attempts,
    ms,
    overheadMs,
    stream,
    principal: req.principal,
    op: req.op,
    usage,
    cost: acc.cost(d, usage),
    upstreamHeaders: result.value.headers,
    cacheHit,
  });
}

/** Stage 5 for an answer served from the response cache: no deployment was called, no tokens spent. */
export function accountCacheHit(
  acc: Accounting,
  req: ProxyRequest,
  group: string,
  policy: RegionPolicy,
  from: { deployment: string; geography: string | null },
  stream: StreamOutcome | undefined,
): void {
  const ms = performance.now() - req.started;
  acc.log.request({
    callId: req.callId,
    group,
    policy,
    status: 200,
    attempts: [],
    ms,
    overheadMs: ms,
    stream,
    cacheHit: true,
    cachedFrom: from,
    principal: req.principal,
    op: req.op,
  });
}

/** Stage 5 for a refusal or a failure after every attempt. */
export function accountFailure(
  acc: Accounting,
  req: ProxyRequest,
  group: string | undefined,
  model: string | undefined,
  policy: RegionPolicy,
  error: GatewayError | AttemptFailure,
  attempts: AttemptRecord[],
): void {
  if (error.code === "internal_error" && (error as AttemptFailure).cause !== undefined)
    acc.logger.error(
      { err: (error as AttemptFailure).cause, call_id: req.callId },
      "request could not be prepared",
    );
  acc.log.request({
    callId: req.callId,
    // metrics label by model group only (bounded); the raw requested model goes to the log line
    group: group ?? "(unknown)",
    model,
    policy,
    status: "error",
    error,
    attempts,
    ms: performance.now() - req.started,
    principal: req.principal,
    op: req.op,
  });
}
