import { type GatewayError, gatewayError } from "../errors.js";
import { type CancelSignal, sleepUnlessCancelled } from "../upstream/cancel.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Deployment } from "./deployment.js";
import { isAllowed, type RegionPolicy } from "./filters.js";
import {
  type AttemptRecord,
  type Blocked,
  clientClosed,
  LoopFailure,
  noCapacityError,
  record,
  withAttempts,
} from "./outcome.js";
import { backoffMs, blamesRequest, cooldownFor, cooldownReasonFor, retriesFor } from "./policy.js";
import type { Router } from "./router.js";

export { type AttemptRecord, LoopFailure } from "./outcome.js";

export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: AttemptFailure };

export interface LoopInput<T> {
  /** Model group the client asked for (after alias resolution). */
  group: string;
  /** The model name as the client sent it; wildcard groups (`openai/*`) take the upstream model from it. */
  model?: string;
  policy: RegionPolicy;
  signal: CancelSignal;
  estimatedTokens: number;
  /** Performs one attempt against one deployment; never throws for upstream problems. */
  call: (d: Deployment) => Promise<CallResult<T>>;
  /** A stream stays in flight (least-busy) after the call returns, until the caller's `release()`. */
  holdUntilRelease?: boolean;
}

export interface LoopSuccess<T> {
  deployment: Deployment;
  value: T;
  attempts: AttemptRecord[];
  retries: number;
  fallbacks: number;
  /** Ends the serving attempt's in-flight count (idempotent); a no-op unless `holdUntilRelease`. */
  release: () => void;
}

const noop = () => {};

/**
 * One loop for retries and fallbacks (TensorZero's shape). Each model group on the way, the first
 * and every fallback, is narrowed by the same region filter through `router.available`; a group with
 * nothing in region is skipped, never widened. Every deployment is checked once more right before
 * the call. `retries` and `fallbacks` count attempts actually made, so the headers never overstate.
 */
export async function runAttempts<T>(router: Router, input: LoopInput<T>): Promise<LoopSuccess<T>> {
  const cfg = router.settings;
  const { policy, signal } = input;
  const countRequests = cfg.strategy === "usage-based-routing-v2";
  const attempts: AttemptRecord[] = [];
  let retries = 0;
  let fallbacks = 0;
  let last: AttemptFailure | undefined;
  let blocked: Blocked | undefined;
  const fail = (e: GatewayError | AttemptFailure) => new LoopFailure(e, attempts, retries, fallbacks);
  const block = (until: number, reason: Blocked["reason"]) => {
    if (!blocked || until < blocked.until) blocked = { until, reason };
  };
  const queue: string[] = [input.group];
  const visited = new Set<string>();
  let fallbacksQueued = false;

  for (let gi = 0; gi < queue.length; gi++) {
    const group = queue[gi];
    if (visited.has(group)) continue;
    visited.add(group);
    const tried = new Set<string>();
    let groupRetries = 0;
    let retrying = false;

    for (;;) {
      if (signal.aborted) throw fail(clientClosed(signal));
      const now = Date.now();
      const av = router.available(group, policy, now, tried);
      if (av.kind === "none_in_region") break;
      let picked: Deployment | undefined;
      let probing = false;
      if (av.kind === "cooling") {
        // Everything in region is cooling: one request per deployment may probe it, the rest wait.
        picked = router.claimProbe(group, policy, now, tried);
        if (!picked) {
          block(av.retryAt, "cooling");
          break;
        }
        probing = true;
      } else {
        picked = router.pick(av.candidates, now, input.estimatedTokens);
        if (!picked) {
          // usage-based: every candidate is at its rpm/tpm for this clock minute
          block((Math.floor(now / 60_000) + 1) * 60_000, "usage");
          break;
        }
      }
      if (!isAllowed(picked, policy)) {
        if (probing) router.state.endProbe(picked.id);
        // Unreachable by construction; if it ever happens, fail closed rather than send a byte.
        throw fail(gatewayError("internal_error", { reason: "invariant" }));
      }
      const d = input.model === undefined ? picked : router.bind(picked, input.model);
      if (retrying) retries++;
      else if (gi > 0 && tried.size === 0) fallbacks++;
      retrying = false;
      tried.add(d.id);
      router.state.begin(d.id);
      if (countRequests) router.state.recordUsage(d.id, 1, 0, now);
      let r: CallResult<T> | undefined;
      try {
        r = await input.call(d);
      } finally {
        if (!(r?.ok && input.holdUntilRelease)) router.state.end(d.id);
        if (probing) router.state.endProbe(d.id);
      }
      const ms = Date.now() - now;
      if (r.ok) {
        if (probing) router.state.endCooldown(d.id);
        router.state.recordLatency(d.id, ms);
        attempts.push(record(d, group, 200, null, ms));
        let release = noop;
        if (input.holdUntilRelease) {
          let held = true;
          release = () => {
            if (held) router.state.end(d.id);
            held = false;
          };
        }
        return { deployment: d, value: r.value, attempts, retries, fallbacks, release };
      }
      const f = r.failure;
      last = f;
      attempts.push(record(d, group, f.status, f.code, ms));
      if (f.kind === "aborted" || signal.aborted) throw fail(clientClosed(signal));
      if (!blamesRequest(f.kind)) {
        const t = Date.now();
        const n = router.state.recordFailure(d.id, t);
        // "Single" is counted where this request may go: a pinned customer with one in-region deployment
        // has nowhere else, so cooling it would only turn a blip into 429s (its retries wait instead).
        const cool = cooldownFor(f, n, cfg, router.inRegion(group, policy).length === 1);
        if (cool > 0) router.state.startCooldown(d.id, t + cool, cooldownReasonFor(f));
      }

      if (groupRetries < retriesFor(f.kind, cfg, d.maxRetries)) {
        const next = router.available(group, policy, Date.now(), tried);
        if (next.kind === "ok") {
          const switching = next.candidates.some((c) => !tried.has(c.id));
          const wait = backoffMs(groupRetries, f, switching, cfg.retryAfterMs, router.random);
          if (wait !== undefined) {
            groupRetries++;
            retrying = true;
            if (wait > 0) {
              if (!(await sleepUnlessCancelled(wait, signal))) throw fail(clientClosed(signal));
            }
            continue;
          }
        }
      }
      // No retry here. A malformed request fails the same everywhere: no fallback either.
      if (f.kind === "bad_request" || f.kind === "gateway") throw fail(withAttempts(f, attempts));
      if (f.kind === "context_window" || f.kind === "content_policy") {
        const map = f.kind === "context_window" ? cfg.contextWindowFallbacks : cfg.contentPolicyFallbacks;
        const specific = map.get(input.group);
        if (specific && specific.length > 0 && !fallbacksQueued) {
          // These failures use only their own list when one is configured (LiteLLM's order).
          fallbacksQueued = true;
          queue.push(...specific);
        } else if (!fallbacksQueued && generic(cfg, input.group).length === 0) {
          throw fail(withAttempts(f, attempts));
        }
      }
      break;
    }

    if (!fallbacksQueued) {
      fallbacksQueued = true;
      for (const g of generic(cfg, input.group)) if (g !== input.group) queue.push(g);
    }
  }

  if (last) throw fail(withAttempts(last, attempts));
  const regions = (router.groups.get(input.group) ?? []).map((d) => d.geography);
  throw fail(noCapacityError(input.group, policy, blocked, regions, Date.now()));
}

function generic(cfg: Router["settings"], group: string): readonly string[] {
  return cfg.fallbacks.get(group) ?? cfg.defaultFallbacks;
}
