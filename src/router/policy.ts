import type { RetryPolicy, RouterConfig } from "../config/normalize.js";
import type { AttemptFailure, FailureKind } from "../upstream/errors.js";
import type { CooldownReason } from "./state.js";

/**
 * How many retries within one model group this kind of failure gets. Pure.
 * Precedence: the per-class `retry_policy`, then the deployment's `max_retries`, then `num_retries`.
 * Client-side classes (400/401/403/404/413/422) get none unless the policy names them: another
 * try cannot change the answer.
 */
export function retriesFor(
  kind: FailureKind,
  cfg: Pick<RouterConfig, "numRetries" | "retryPolicy">,
  deploymentMaxRetries?: number,
): number {
  const p: RetryPolicy = cfg.retryPolicy;
  const n = deploymentMaxRetries ?? cfg.numRetries;
  switch (kind) {
    case "rate_limit":
      return p.RateLimitErrorRetries ?? n;
    case "timeout":
      return p.TimeoutErrorRetries ?? n;
    case "server":
    case "connection":
      return p.InternalServerErrorRetries ?? n;
    case "auth":
      return p.AuthenticationErrorRetries ?? 0;
    case "bad_request":
    case "not_found":
    case "context_window":
      return p.BadRequestErrorRetries ?? 0;
    case "content_policy":
      return p.ContentPolicyViolationErrorRetries ?? 0;
    case "aborted":
    case "gateway":
      return 0;
  }
}

/** The failure says something about the request, not the deployment: it never counts against it. */
export function blamesRequest(kind: FailureKind): boolean {
  return (
    kind === "bad_request" ||
    kind === "context_window" ||
    kind === "content_policy" ||
    kind === "aborted" ||
    kind === "gateway"
  );
}

/**
 * How long to cool the deployment down after this failure, ms (0: not at all). Pure.
 * 401/404 (the deployment is misconfigured) always cool. 429/408/5xx and unreachable upstreams
 * cool at once; our own timeouts (slow but alive) only after more than `allowed_fails` failures
 * within a minute. Like LiteLLM, a model group with a single deployment is not cooled for transient
 * failures: there is nowhere else to go, so cooling would only turn an honest upstream error into
 * our 429 — the retry waits out its backoff (and Retry-After) instead.
 */
export function cooldownFor(
  f: AttemptFailure,
  failuresThisMinute: number,
  cfg: Pick<RouterConfig, "cooldownMs" | "allowedFails" | "disableCooldowns">,
  singleDeploymentGroup = false,
): number {
  if (cfg.disableCooldowns || blamesRequest(f.kind)) return 0;
  // 401/404: this deployment's key or name is wrong. A 403 may be about this request only (LiteLLM
  // does not cool it either).
  const misconfigured = (f.kind === "auth" && f.status === 401) || f.kind === "not_found";
  const transient =
    f.kind === "rate_limit" ||
    f.kind === "server" ||
    f.kind === "connection" ||
    (f.kind === "timeout" && !f.local) ||
    (f.kind === "timeout" && failuresThisMinute > cfg.allowedFails);
  if (misconfigured || (transient && !singleDeploymentGroup)) {
    return Math.max(cfg.cooldownMs, f.retryAfterMs ?? 0);
  }
  return 0;
}

/**
 * Whose word a cooldown rests on. Pure. The upstream's when it named a wait (Retry-After) or refused
 * the deployment's credentials or model (401/404): a probe must not second-guess it. Otherwise
 * Meridian's own (cooldown_time after a 429/5xx/reset/timeout): a probe may end it early.
 */
export function cooldownReasonFor(f: AttemptFailure): CooldownReason {
  const misconfigured = (f.kind === "auth" && f.status === 401) || f.kind === "not_found";
  return misconfigured || f.retryAfterMs !== undefined ? "upstream" : "failures";
}

/** Longest upstream Retry-After we wait out within one request; beyond it the retry is given up. */
export const MAX_HONOURED_RETRY_AFTER_MS = 60_000;

/**
 * Wait before retry number `retry` (0-based), ms; undefined = do not retry. Pure.
 * When another deployment is ready, only the configured minimum (`retry_after`): the failed one's
 * Retry-After is about itself. Retrying the same deployment: exponential backoff with jitter
 * (125–250 ms, then doubling, capped at 8 s), and never less than what upstream asked.
 */
export function backoffMs(
  retry: number,
  f: AttemptFailure,
  switching: boolean,
  minWaitMs: number,
  random: () => number,
): number | undefined {
  if (switching) return minWaitMs;
  const asked = f.retryAfterMs ?? 0;
  if (asked > MAX_HONOURED_RETRY_AFTER_MS) return undefined;
  const expo = Math.min(8_000, 250 * 2 ** retry);
  const jittered = expo / 2 + random() * (expo / 2);
  // Upstream's own number is honoured as given; jitter only applies when it said nothing.
  return Math.max(minWaitMs, f.retryAfterMs !== undefined ? asked : jittered);
}
