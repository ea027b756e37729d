import { type GatewayError, gatewayError } from "../errors.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Deployment } from "./deployment.js";
import { describeAllowed, type RegionPolicy } from "./filters.js";

/** One attempt as recorded for headers, logs and the final error message. */
export interface AttemptRecord {
  deploymentId: string;
  group: string;
  geography: string | null;
  status: number;
  code: string | null;
  ms: number;
  /** When the attempt started (epoch ms): trace spans. */
  at: number;
}

/** Why no attempt could be made in a group: its in-region deployments are cooling, or all at rpm/tpm. */
export interface Blocked {
  until: number;
  reason: "cooling" | "usage";
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

export function record(
  d: Deployment,
  group: string,
  status: number,
  code: string | null,
  ms: number,
): AttemptRecord {
  return { deploymentId: d.id, group, geography: d.geography ?? null, status, code, ms, at: Date.now() - ms };
}

/** Why a request stopped early: its client left (499), or the shutdown cut it (503 shutting_down). */
export function clientClosed(signal: { readonly byShutdown?: boolean }): GatewayError {
  return signal.byShutdown ? gatewayError("shutting_down") : gatewayError("client_closed_request");
}

/** The last upstream failure, its message extended with every attempt when there was more than one. */
export function withAttempts(f: AttemptFailure, attempts: AttemptRecord[]): AttemptFailure {
  if (attempts.length < 2) return f;
  const list = attempts
    .map((a) => `${a.deploymentId}${a.geography ? `@${a.geography}` : ""}=${a.status}`)
    .join(", ");
  return { ...f, message: `${f.message} (all ${attempts.length} attempts failed: ${list})` };
}

/**
 * No attempt was made at all. Capacity will come back (cooling, or rpm/tpm until the next minute):
 * 429 with Retry-After — `region_capacity_exhausted` for a pinned customer, never an out-of-region
 * answer. Nothing in region at all: 403 `no_deployment_in_region`, permanent for this customer.
 */
export function noCapacityError(
  group: string,
  policy: RegionPolicy,
  blocked: Blocked | undefined,
  regionsOfGroup: readonly (string | undefined)[],
  now: number,
): GatewayError {
  if (blocked) {
    const retryAfter = Math.max(1, Math.ceil((blocked.until - now) / 1000));
    const headers = { "retry-after": String(retryAfter) };
    if (policy.allowed !== null) {
      return gatewayError(
        "region_capacity_exhausted",
        {
          group,
          allowed: describeAllowed(policy),
          endUserId: policy.endUserId,
          blocked: blocked.reason,
          retryAfter,
        },
        { headers },
      );
    }
    return gatewayError(
      "no_deployment_available",
      { group, blocked: blocked.reason, retryAfter },
      { headers },
    );
  }
  const regions = [...new Set(regionsOfGroup.map((g) => g ?? "unassigned"))];
  return gatewayError(
    "no_deployment_in_region",
    { group, allowed: describeAllowed(policy), endUserId: policy.endUserId, regions },
    { param: "model" },
  );
}
