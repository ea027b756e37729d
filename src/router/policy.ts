import type { RetryPolicy, RouterConfig } from "../config/normalize.js";
import type { AttemptFailure, FailureKind } from "../upstream/errors.js";

/** How many retries within one model group this kind of failure gets. Pure. */
export function retriesFor(kind: FailureKind, cfg: Pick<RouterConfig, "numRetries" | "retryPolicy">): number {
  const p: RetryPolicy = cfg.retryPolicy;
  switch (kind) {
    case "rate_limit":
      return p.RateLimitErrorRetries ?? cfg.numRetries;
    case "timeout":
      return p.TimeoutErrorRetries ?? cfg.numRetries;
    case "server":
    case "connection":
      return p.InternalServerErrorRetries ?? cfg.numRetries;
    case "auth":
      return p.AuthenticationErrorRetries ?? 0;
    case "bad_request":
    case "not_found":
    case "context_window":
      return p.BadRequestErrorRetries ?? 0;
    case "content_policy":
      return p.ContentPolicyViolationErrorRetries ?? 0;
    case "aborted":
      return 0;
  }
}

/** The client's own mistake: no other deployment or model group will answer differently. */
export function isClientError(kind: FailureKind): boolean {
  return kind === "bad_request";
}

/**
 * Cool the deployment down now? 429/401/404/408/5xx and unreachable upstreams: yes at once.
 * Our own timeouts (slow but alive) only after `allowed_fails` within a minute.
 */
export function cooldownFor(
  f: AttemptFailure,
  failuresThisMinute: number,
  cfg: Pick<RouterConfig, "cooldownMs" | "allowedFails" | "disableCooldowns">,
): number {
  if (cfg.disableCooldowns) return 0;
  const immediate =
    f.kind === "rate_limit" ||
    f.kind === "auth" ||
    f.kind === "not_found" ||
    f.kind === "server" ||
    f.kind === "connection" ||
    (f.kind === "timeout" && f.status === 408);
  const counted = f.kind === "timeout";
  if (immediate || (counted && failuresThisMinute > cfg.allowedFails)) {
    return Math.max(cfg.cooldownMs, f.retryAfterMs ?? 0);
  }
  return 0;
}

/** Wait before retrying. Another deployment is ready: only the configured minimum; else exponential backoff with jitter, at least what upstream asked. */
export function backoffMs(
  retry: number,
  f: AttemptFailure,
  switching: boolean,
  minWaitMs: number,
  random: () => number,
): number {
  if (switching) return minWaitMs;
  const expo = Math.min(8_000, 250 * 2 ** retry);
  const jittered = expo / 2 + random() * (expo / 2);
  return Math.max(minWaitMs, f.retryAfterMs ?? 0, jittered);
}
