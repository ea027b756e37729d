import { costOf, type Price, priceOf } from "../audit/prices.js";
import type { RecordInput } from "../audit/record.js";
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
  /** Where each request's spend-log record goes (audit/writer.ts); none: records are off. */
  spend: SpendSink | undefined;
  /** store_prompts_in_spend_logs: records carry the request body and the answer. */
  storePrompts: boolean;
}

/**
 * Takes one request's facts for its record; must not throw or wait. The writer builds the record
 * later (audit/writer.ts), so what is passed must not change after: it holds no live request.
 */
export interface SpendSink {
  add(r: RecordInput): void;
}

/** What the served path knows beyond the loop's result. */
export interface ServedExtra {
  /** The model the client named. */
  model?: string;
  /** performance.now() when the first byte of the answer was ready (a stream's commit). */
  firstByteAt?: number;
  prompt?: unknown;
  /** The answer's bytes, or (a stream) what was assembled of it. */
  response?: unknown;
  /** false: the cache was asked and missed (undefined: not asked). */
  cacheHit?: boolean;
  /** The code a stream ended with, when it ended in error (sse.ts StreamEnd). */
  streamCode?: string;
}

export function accountingFor(
  log: RequestLog,
  logger: Logger,
  tokens: RouterState | undefined,
  spend?: { sink: SpendSink; storePrompts: boolean },
): Accounting {
  const prices = new Map<string, Price | undefined>();
  return {
    log,
    logger,
    tokens,
    spend: spend?.sink,
    storePrompts: spend?.storePrompts ?? false,
    cost(d, u) {
      if (!u) return undefined;
      let p = prices.get(d.id);
      if (p === undefined && !prices.has(d.id)) {
        p = priceOf(d);
        prices.set(d.id, p);
      }
      return costOf(p, u);
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
  extra: ServedExtra = {},
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
    cacheHit: extra.cacheHit,
  });
  if (!acc.spend) return;
  const now = Date.now();
  const startMs = now - ms;
  acc.spend.add({
    callId: req.callId,
    op: req.op,
    who: req.principal,
    model: extra.model ?? modelOf(req, group),
    group,
    policy,
    deployment: d,
    attempts: result.attempts,
    usage,
    cost: acc.cost(d, usage),
    startMs,
    endMs: now,
    firstChunkMs: extra.firstByteAt === undefined ? undefined : startMs + (extra.firstByteAt - req.started),
    httpStatus: result.value.status,
    error: undefined,
    stream,
    streamCode: extra.streamCode,
    prompt: acc.storePrompts ? extra.prompt : undefined,
    response: acc.storePrompts ? extra.response : undefined,
  });
}

/** What a failure's record needs of its request (an early refusal has no more than this). */
export type FailedRequest = Pick<ProxyRequest, "callId" | "principal" | "started" | "body" | "pathModel"> & {
  /** The operation; "unknown" for a path no route matched. */
  op: string;
};

function modelOf(req: FailedRequest, group: string | undefined): string | undefined {
  const m = (req.body as { model?: unknown } | undefined)?.model;
  return typeof m === "string" ? m : (req.pathModel ?? group);
}

/** Stage 5 for a refusal or a failure after every attempt. */
export function accountFailure(
  acc: Accounting,
  req: FailedRequest,
  group: string | undefined,
  model: string | undefined,
  policy: RegionPolicy,
  error: GatewayError | AttemptFailure,
  attempts: AttemptRecord[],
  prompt?: unknown,
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
  if (!acc.spend) return;
  const now = Date.now();
  const status = (error as { status: number }).status;
  // The last deployment tried says where an upstream error came from (and where bytes went).
  acc.spend.add({
    callId: req.callId,
    op: req.op,
    who: req.principal,
    model: model ?? modelOf(req, group),
    group,
    policy,
    deployment: undefined,
    attempts,
    usage: undefined,
    cost: undefined,
    startMs: now - (performance.now() - req.started),
    endMs: now,
    firstChunkMs: undefined,
    httpStatus: status,
    error,
    stream: undefined,
    prompt: acc.storePrompts ? prompt : undefined,
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
  if (!acc.spend) return;
  const now = Date.now();
  acc.spend.add({
    callId: req.callId,
    op: req.op,
    who: req.principal,
    model: modelOf(req, group),
    group,
    policy,
    deployment: undefined,
    attempts: [],
    usage: undefined,
    cost: 0,
    startMs: now - ms,
    endMs: now,
    firstChunkMs: undefined,
    httpStatus: 200,
    error: undefined,
    stream,
    cacheHit: true,
    cachedFrom: from,
  });
}
