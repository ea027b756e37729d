import { setTimeout as sleep } from "node:timers/promises";
import { GatewayError } from "../errors.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Deployment } from "./deployment.js";
import { isAllowed, type RegionPolicy } from "./filters.js";
import { backoffMs, cooldownFor, isClientError, retriesFor } from "./policy.js";
import type { Router } from "./router.js";

export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: AttemptFailure };

export interface AttemptRecord {
  deploymentId: string;
  group: string;
  geography: string | null;
  status: number;
  code: string | null;
  ms: number;
}

export interface LoopInput<T> {
  /** Model group the client asked for (after alias resolution). */
  group: string;
  policy: RegionPolicy;
  signal: AbortSignal;
  estimatedTokens: number;
  /** Performs one attempt against one deployment; never throws for upstream problems. */
  call: (d: Deployment) => Promise<CallResult<T>>;
}

export interface LoopSuccess<T> {
  deployment: Deployment;
  value: T;
  attempts: AttemptRecord[];
  retries: number;
  fallbacks: number;
}

/** Every attempt failed or none could be made; carries what was tried for headers and logs. */
export class LoopFailure extends Error {
  constructor(
    readonly error: GatewayError | AttemptFailure,
    readonly attempts: AttemptRecord[],
    readonly retries: number,
    readonly fallbacks: number,
  ) {
    super(error.message);
  }
}

/**
 * One loop for retries and fallbacks (TensorZero's shape). Each model group on the way, the first
 * and every fallback, is narrowed by the same region filter through `router.available`; a group with
 * nothing in region is skipped. Every deployment is checked once more right before the call.
 */
export async function runAttempts<T>(router: Router, input: LoopInput<T>): Promise<LoopSuccess<T>> {
  const cfg = router.settings;
  const { policy, signal } = input;
  const attempts: AttemptRecord[] = [];
  let retries = 0;
  let fallbacks = 0;
  let last: AttemptFailure | undefined;
  let coolingUntil = Number.POSITIVE_INFINITY;
  const queue: string[] = [input.group];
  const visited = new Set<string>();
  let genericQueued = false;

  for (let gi = 0; gi < queue.length; gi++) {
    const group = queue[gi];
    if (visited.has(group)) continue;
    visited.add(group);
    const tried = new Set<string>();
    let groupRetries = 0;
    let attemptedHere = false;

    for (;;) {
      if (signal.aborted) throw abortError(attempts, retries, fallbacks);
      const now = Date.now();
      const av = router.available(group, policy, now, tried);
      if (av.kind === "none_in_region") break;
      if (av.kind === "cooling") {
        coolingUntil = Math.min(coolingUntil, av.retryAt);
        break;
      }
      const d = router.pick(av.candidates, now, input.estimatedTokens);
      if (!d) {
        // usage-based: every candidate is at its rpm/tpm for this minute
        coolingUntil = Math.min(coolingUntil, (Math.floor(now / 60_000) + 1) * 60_000);
        break;
      }
      if (!isAllowed(d, policy)) {
        // Unreachable by construction; if it ever happens, fail closed rather than send a byte.
        throw new LoopFailure(
          new GatewayError("internal_error", "routing invariant violated; request refused"),
          attempts,
          retries,
          fallbacks,
        );
      }
      if (!attemptedHere && gi > 0) fallbacks++;
      attemptedHere = true;
      tried.add(d.id);
      router.state.begin(d.id);
      let r: CallResult<T>;
      try {
        r = await input.call(d);
      } finally {
        router.state.end(d.id);
      }
      const ms = Date.now() - now;
      if (r.ok) {
        router.state.recordLatency(d.id, ms);
        attempts.push(record(d, group, 200, null, ms));
        return { deployment: d, value: r.value, attempts, retries, fallbacks };
      }
      const f = r.failure;
      last = f;
      attempts.push(record(d, group, f.status, f.code, ms));
      if (f.kind === "aborted") throw abortError(attempts, retries, fallbacks);
      if (isClientError(f.kind)) throw new LoopFailure(f, attempts, retries, fallbacks);
      if (f.kind !== "context_window" && f.kind !== "content_policy") {
        const failures = router.state.recordFailure(d.id, Date.now());
        const cool = cooldownFor(f, failures, cfg);
        if (cool > 0) router.state.startCooldown(d.id, Date.now() + cool);
      }
      if (f.kind === "context_window" || f.kind === "content_policy") {
        const map = f.kind === "context_window" ? cfg.contextWindowFallbacks : cfg.contentPolicyFallbacks;
        const next = map.get(input.group) ?? [];
        if (next.length === 0) throw new LoopFailure(f, attempts, retries, fallbacks);
        queue.push(...next);
        genericQueued = true; // these failures use only their own fallback lists
        break;
      }
      if (groupRetries >= retriesFor(f.kind, cfg)) break;
      groupRetries++;
      retries++;
      const next = router.available(group, policy, Date.now(), tried);
      const switching = next.kind === "ok" && next.candidates.some((c) => !tried.has(c.id));
      const wait = backoffMs(groupRetries - 1, f, switching, cfg.retryAfterMs, Math.random);
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          throw abortError(attempts, retries, fallbacks);
        }
      }
    }

    if (!genericQueued) {
      genericQueued = true;
      const fb = cfg.fallbacks.get(input.group) ?? cfg.defaultFallbacks;
      for (const g of fb) if (g !== input.group) queue.push(g);
    }
  }

  if (last) throw new LoopFailure(withAttempts(last, attempts), attempts, retries, fallbacks);
  throw new LoopFailure(noCapacityError(router, input, coolingUntil), attempts, retries, fallbacks);
}

function record(
  d: Deployment,
  group: string,
  status: number,
  code: string | null,
  ms: number,
): AttemptRecord {
  return { deploymentId: d.id, group, geography: d.geography ?? null, status, code, ms };
}

function abortError(attempts: AttemptRecord[], retries: number, fallbacks: number): LoopFailure {
  return new LoopFailure(
    new GatewayError("client_closed_request", "client closed the request"),
    attempts,
    retries,
    fallbacks,
  );
}

function withAttempts(f: AttemptFailure, attempts: AttemptRecord[]): AttemptFailure {
  if (attempts.length < 2) return f;
  const list = attempts
    .map((a) => `${a.deploymentId}${a.geography ? `@${a.geography}` : ""}=${a.code ?? a.status}`)
    .join(", ");
  return { ...f, message: `${f.message} (all ${attempts.length} attempts failed: ${list})` };
}

function noCapacityError(router: Router, input: LoopInput<unknown>, coolingUntil: number): GatewayError {
  const { policy, group } = input;
  const who = policy.endUserId ? ` for customer "${policy.endUserId}"` : "";
  if (Number.isFinite(coolingUntil)) {
    const retryAfter = Math.max(1, Math.ceil((coolingUntil - Date.now()) / 1000));
    const headers = { "retry-after": String(retryAfter) };
    if (policy.allowed !== null) {
      return new GatewayError(
        "region_capacity_exhausted",
        `Every deployment of model "${group}" in region "${policy.allowed}"${who} is cooling down after failures; retry in ${retryAfter}s. No out-of-region deployment is used.`,
        { headers },
      );
    }
    return new GatewayError(
      "no_deployment_available",
      `Every deployment of model "${group}" is cooling down after failures; retry in ${retryAfter}s.`,
      { headers },
    );
  }
  const regions = [...new Set((router.groups.get(group) ?? []).map((d) => d.geography ?? "unassigned"))].join(
    ", ",
  );
  return new GatewayError(
    "no_deployment_in_region",
    `No deployment of model "${group}" is in region "${policy.allowed}"${who}; its deployments are in: ${regions || "none"}. The request was not sent anywhere.`,
    { param: "model" },
  );
}
