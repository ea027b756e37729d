import type { Affinity } from "../affinity/affinity.js";
import type { ResponseCache } from "../cache/cache.js";
import { StreamCapture } from "../cache/capture.js";
import {
  type CacheProbe,
  cachedResult,
  captureFor,
  missHeaders,
  probeCache,
  responsesCacheable,
  storeAnswer,
  storeStreamed,
} from "../cache/stage.js";
import { GatewayError, gatewayError } from "../errors.js";
import { failureReply, retryAdvice } from "../http/failure.js";
import { admit, aliasModel, type LimitsDeps, type Ticket } from "../limits/stage.js";
import { responsesAttempt } from "../responses/attempt.js";
import { planResponses, type ResponsesPlan } from "../responses/plan.js";
import { LoopFailure, type LoopSuccess } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import { UNRESTRICTED } from "../router/filters.js";
import type { UpstreamReply } from "../upstream/call.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Usage } from "../wire/usage.js";
import { type Accounting, accountFailure, accountServed, type ServedExtra } from "./account.js";
import { type AttemptDeps, attempt } from "./attempt.js";
import { resolveModel } from "./model.js";
import { pinnedRefusal } from "./pinned.js";
import { type PolicyDeps, policyFor } from "./policy.js";
import { answerHeaders, servedHeaders } from "./result-headers.js";
import type { ProxyRequest, ProxyResult } from "./types.js";

export interface PipelineDeps extends AttemptDeps, PolicyDeps {
  accounting: Accounting;
  modelNames: readonly string[];
  deploymentHeaders: ReadonlyMap<string, Readonly<Record<string, string>>>;
  maxRetries: string;
  /** The response cache (litellm_settings.cache), when on. */
  cache?: ResponseCache;
  /** id -> deployment of stored responses, files and batches: follow-ups go where their state is. */
  affinity: Affinity;
  /** Model allowlists, budgets and rate limits of virtual keys, teams and users; spend. */
  limits?: LimitsDeps;
  /** A created response could not be remembered (its follow-ups will be 404): logged, not the client's error. */
  onRememberError: (err: unknown) => void;
}

/**
 * One proxied request, as stages that each return a value:
 *   model (validate, resolve group) → policy (end user ∩ key ∩ team) → attempts (retries, fallbacks,
 *   the one region filter) → account (usage, tpm, log line, metrics)
 * and the answer as a ProxyResult for the adapter to write. Never rejects: every outcome, even a bug,
 * is a result.
 */
export async function handle(deps: PipelineDeps, req: ProxyRequest): Promise<ProxyResult> {
  try {
    return await run(deps, req);
  } catch (err) {
    deps.accounting.logger.error({ err, op: req.op }, "unhandled error in proxy");
    const e = gatewayError("internal_error", { reason: "handling", what: req.op });
    return refusal(e, { ...req.extra, "x-litellm-call-id": req.callId });
  }
}

async function run(deps: PipelineDeps, req: ProxyRequest): Promise<ProxyResult> {
  let model: string | undefined = req.pathModel;
  let group: string | undefined;
  let policy: RegionPolicy;
  let body: Record<string, unknown>;
  let endUserId: string | undefined;
  let ticket: Ticket | undefined;
  let plan: ResponsesPlan | undefined;
  try {
    if (req.principal.grant) aliasModel(req);
    if (req.op === "responses") {
      // the Responses API: follow-ups and previous_response_id go where their state is
      plan = await planResponses(deps, req, (id) => {
        endUserId = id;
      });
      ({ body, model, group, policy } = plan);
    } else {
      const m = resolveModel(deps.router, deps.modelNames, req.op, req.body, req.pathModel, req.form);
      body = m.body;
      model = m.model;
      group = m.group;
      const p = policyFor(deps, req, body);
      endUserId = p.endUserId;
      policy = p.policy ?? (await (p.pending as Promise<RegionPolicy>));
      // files/batches follow-ups: only the holding deployment, and only if the caller may use it
      if (req.pinned !== undefined) pinnedRefusal(deps.router, req, policy);
    }
    if (deps.limits) {
      const t = admit(deps.limits, req, model, group, endUserId);
      ticket = t instanceof Promise ? await t : t;
    }
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    // Refused before any attempt (bad body, unknown model, blocked customer, store down): still one
    // log line and a call id, so a refusal can be traced like any other request.
    accountFailure(deps.accounting, req, group, model, { ...UNRESTRICTED, endUserId }, err, [], req.body);
    return refusal(err, { ...req.extra, "x-litellm-call-id": req.callId });
  }

  try {
    return await served(deps, req, body, group, model, policy, ticket, plan);
  } catch (err) {
    ticket?.settle(undefined, undefined);
    throw err;
  }
}

/** Attempts and the answer, for a request the earlier stages admitted. */
async function served(
  deps: PipelineDeps,
  req: ProxyRequest,
  body: Record<string, unknown>,
  group: string,
  model: string | undefined,
  policy: RegionPolicy,
  ticket: Ticket | undefined,
  plan: ResponsesPlan | undefined,
): Promise<ProxyResult> {
  // The cache, keyed by the policy: a hit is served only if its producing geography passes it.
  let probe: CacheProbe | undefined;
  if (deps.cache && (!plan || responsesCacheable(req, body))) {
    probe = await probeCache(deps.cache, req, body, group, policy);
    if (probe?.entry) {
      const hit = cachedResult({ ...deps, cache: deps.cache }, req, group, policy, probe);
      if (!ticket) return hit;
      // a hit costs nothing, but it held a parallel slot and counted against rpm
      return {
        ...hit,
        written: (end) => {
          ticket.settle(undefined, 0);
          hit.written?.(end);
        },
      };
    }
  }

  let result: LoopSuccess<UpstreamReply>;
  const a = plan ? responsesAttempt(deps, req, plan) : attempt(deps, req, body, group, model, policy);
  try {
    result = await a.run;
  } catch (err) {
    if (!(err instanceof LoopFailure)) throw err;
    ticket?.settle(undefined, undefined);
    // An upstream error still says which deployment (and region) gave it: the last one tried.
    const lastTried = err.attempts[err.attempts.length - 1];
    const h = {
      ...req.extra,
      ...(lastTried ? deps.deploymentHeaders.get(lastTried.deploymentId) : undefined),
      ...answerHeaders(req.callId, err.retries, err.fallbacks, deps.maxRetries),
      ...retryAdvice(err.error, err.attempts.length),
    };
    accountFailure(deps.accounting, req, group, model, policy, err.error, err.attempts, body);
    return refusal(err.error, h);
  }

  const d: Deployment = result.deployment;
  const up = result.value;
  const headers = servedHeaders(deps, req, result, a.upstreamMs(), a.stream);
  if (ticket?.headers) Object.assign(headers, ticket.headers);
  const overheadMs = Math.max(0, performance.now() - req.started - a.upstreamMs());
  const keep = deps.accounting.storePrompts;
  const cache = probe && deps.cache;
  if (probe) missHeaders(probe, headers);
  if (!up.stream) {
    const buf = up.body ?? Buffer.alloc(0);
    const cost = deps.accounting.cost(d, up.usage);
    if (cost !== undefined) headers["x-litellm-response-cost"] = String(cost);
    headers["content-length"] = String(buf.length);
    return {
      status: up.status,
      headers,
      body: buf,
      written: () => {
        ticket?.settle(up.usage, cost);
        if (cache && probe) storeAnswer(cache, probe, req.op, group, d, up.status, buf);
        accountServed(deps.accounting, req, group, policy, result, up.usage, overheadMs, undefined, {
          model,
          prompt: keep ? body : undefined,
          response: keep ? buf : undefined,
          cacheHit: probe ? false : undefined,
        });
      },
    };
  }
  // A stream can last minutes and the prompt (up to max_request_size_mb) is no longer needed once it
  // has committed: nothing here keeps it (500 streams of 100 KB prompts in flight: heap after a full
  // GC 102-118 MB -> 70-78 MB).
  a.release();
  req.body = undefined;
  const served: ServedExtra = {
    model,
    firstByteAt: performance.now(),
    prompt: keep ? body : undefined,
    cacheHit: probe ? false : undefined,
  };
  headers["cache-control"] = "no-cache";
  // No Connection header of ours: node answers keep-alive or close as the request asked (RFC 9112
  // §9.6), and closes after the last chunk when it is close; setting it would override that.
  const capture = cache && probe ? captureFor(cache, probe, req.op) : undefined;
  // store_prompts_in_spend_logs: the record keeps the streamed answer too (the cache's recorder
  // when there is one, else one bounded for the record)
  const recorded = keep ? (capture ?? new StreamCapture(req.op, KEPT_STREAM_BYTES)) : capture;
  return {
    status: up.status,
    headers,
    stream: recorded ? recorded.wrap(up.stream) : up.stream,
    written: (end) => {
      result.release();
      ticket?.settle(end?.usage, deps.accounting.cost(d, end?.usage));
      if (cache && probe && capture) storeStreamed(cache, probe, capture, req.op, group, d, up.status, end);
      if (keep && recorded) served.response = streamedAnswer(recorded, end?.usage);
      served.streamCode = end?.code;
      accountServed(
        deps.accounting,
        req,
        group,
        policy,
        result,
        end?.usage,
        overheadMs,
        end?.outcome,
        served,
      );
    },
  };
}

/** A streamed answer as the record keeps it: the whole answer, else (cut, or not chat) its events. */
function streamedAnswer(c: StreamCapture, usage: Usage | undefined): unknown {
  const whole = c.answer(usage);
  if (whole !== undefined) return Buffer.from(whole);
  return c.tooLarge ? { truncated: true } : { stream_events: c.events };
}

/** The most of one streamed answer a spend-log record keeps. */
const KEPT_STREAM_BYTES = 1024 * 1024;

function refusal(e: GatewayError | AttemptFailure, extra: Record<string, string>): ProxyResult {
  const f = failureReply(e, extra);
  const payload = JSON.stringify(f.body);
  f.headers["content-type"] = "application/json; charset=utf-8";
  f.headers["content-length"] = String(Buffer.byteLength(payload));
  return { status: f.status, headers: f.headers, body: payload };
}
