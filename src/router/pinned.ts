import { gatewayError } from "../errors.js";
import { type CancelSignal, sleepUnlessCancelled } from "../upstream/cancel.js";
import type { CallResult, LoopSuccess } from "./attempt.js";
import type { Deployment } from "./deployment.js";
import { isAllowed, type RegionPolicy } from "./filters.js";
import { type AttemptRecord, clientClosed, LoopFailure, record, withAttempts } from "./outcome.js";
import { backoffMs, blamesRequest, cooldownFor, cooldownReasonFor, retriesFor } from "./policy.js";
import type { Router } from "./router.js";

export interface PinnedInput<T> {
  /** The one deployment that may serve: it holds the state the request refers to. */
  deployment: Deployment;
  policy: RegionPolicy;
  signal: CancelSignal;
  call: (d: Deployment) => Promise<CallResult<T>>;
  holdUntilRelease?: boolean;
}

const noop = () => {};

/**
 * The attempt loop for a follow-up (a stored response's retrieve, `previous_response_id`, …): only
 * the deployment that holds its state can answer, so retries stay on it and nothing falls over to
 * another deployment or group. Cooldowns do not skip it (there is nowhere else to go), but its
 * failures still count toward them. The region check runs before every attempt, as in runAttempts.
 */
export async function runPinned<T>(router: Router, input: PinnedInput<T>): Promise<LoopSuccess<T>> {
  const cfg = router.settings;
  const d = input.deployment;
  const attempts: AttemptRecord[] = [];
  let retries = 0;
  const fail = (e: ConstructorParameters<typeof LoopFailure>[0]) => new LoopFailure(e, attempts, retries, 0);
  for (;;) {
    if (input.signal.aborted) throw fail(clientClosed(input.signal));
    // Fail closed: the caller decided this already; a second look costs nothing.
    if (!isAllowed(d, input.policy)) throw fail(gatewayError("internal_error", { reason: "invariant" }));
    const started = Date.now();
    router.state.begin(d.id);
    let r: CallResult<T> | undefined;
    try {
      r = await input.call(d);
    } finally {
      if (!(r?.ok && input.holdUntilRelease)) router.state.end(d.id);
    }
    const ms = Date.now() - started;
    if (r.ok) {
      router.state.recordLatency(d.id, ms);
      attempts.push(record(d, d.modelGroup, 200, null, ms));
      let release = noop;
      if (input.holdUntilRelease) {
        let held = true;
        release = () => {
          if (held) router.state.end(d.id);
          held = false;
        };
      }
      return { deployment: d, value: r.value, attempts, retries, fallbacks: 0, release };
    }
    const f = r.failure;
    attempts.push(record(d, d.modelGroup, f.status, f.code, ms));
    if (f.kind === "aborted" || input.signal.aborted) throw fail(clientClosed(input.signal));
    if (!blamesRequest(f.kind)) {
      const t = Date.now();
      const n = router.state.recordFailure(d.id, t);
      const cool = cooldownFor(f, n, cfg, true);
      if (cool > 0) router.state.startCooldown(d.id, t + cool, cooldownReasonFor(f));
    }
    if (retries < retriesFor(f.kind, cfg, d.maxRetries)) {
      const wait = backoffMs(retries, f, false, cfg.retryAfterMs, router.random);
      if (wait !== undefined) {
        retries++;
        if (wait > 0 && !(await sleepUnlessCancelled(wait, input.signal)))
          throw fail(clientClosed(input.signal));
        continue;
      }
    }
    throw fail(withAttempts(f, attempts));
  }
}
