import type { Geography } from "../regions/table.js";
import type { Deployment } from "./deployment.js";

/**
 * What a request may be served from. `allowed: null` means unrestricted.
 * Built once per request by the customer policy, never changed afterwards.
 */
export interface RegionPolicy {
  readonly allowed: Geography | null;
  /** Why: a customer's own region, the default for unknown end users, or none. */
  readonly source: "customer" | "default" | "none";
  readonly endUserId: string | undefined;
}

export const UNRESTRICTED: RegionPolicy = Object.freeze({
  allowed: null,
  source: "none",
  endUserId: undefined,
});

/**
 * THE region filter. Every path that selects a deployment (first attempt, retry, fallback group,
 * cache lookup) goes through this function and nothing else. A pinned policy keeps only
 * deployments whose geography equals it; unassigned deployments never pass a pinned policy.
 */
export function filterByRegion(
  deployments: readonly Deployment[],
  policy: RegionPolicy,
): readonly Deployment[] {
  const allowed = policy.allowed;
  if (allowed === null) return deployments;
  return deployments.filter((d) => d.geography === allowed);
}

/** The same rule, for one deployment: the last check before any byte is sent. */
export function isAllowed(d: Deployment, policy: RegionPolicy): boolean {
  return policy.allowed === null || d.geography === policy.allowed;
}
