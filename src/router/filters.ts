import type { Geography } from "../regions/table.js";
import type { Deployment } from "./deployment.js";

/** Where a region restriction comes from (for error messages and records). */
export type RestrictionSource = "customer" | "default" | "key" | "team";

/** One restriction that applies to a request: who imposes it and which geographies it allows. */
export interface RegionRestriction {
  readonly source: RestrictionSource;
  /** The customer, key or team id (undefined for the default region of unknown end users). */
  readonly id: string | undefined;
  readonly allowed: ReadonlySet<Geography>;
}

/**
 * What a request may be served from: the intersection of every restriction that applies (key, team,
 * customer, the default for unknown end users). `allowed: null` means unrestricted; an empty set
 * means the restrictions contradict each other (nothing may serve). Built once per request, never
 * changed afterwards.
 */
export interface RegionPolicy {
  readonly allowed: ReadonlySet<Geography> | null;
  readonly sources: readonly RegionRestriction[];
  readonly endUserId: string | undefined;
  /** Stable name of `allowed` ("*" when unrestricted, else the sorted geographies): memo keys, logs. */
  readonly key: string;
}

export const UNRESTRICTED: RegionPolicy = policyOf([], undefined);

/** The policy of a set of restrictions: their intersection. */
export function policyOf(
  restrictions: readonly RegionRestriction[],
  endUserId: string | undefined,
): RegionPolicy {
  let allowed: Set<Geography> | null = null;
  for (const r of restrictions) {
    if (allowed === null) allowed = new Set(r.allowed);
    else for (const g of allowed) if (!r.allowed.has(g)) allowed.delete(g);
  }
  const key = allowed === null ? "*" : [...allowed].sort().join(",");
  return Object.freeze({ allowed, sources: Object.freeze([...restrictions]), endUserId, key });
}

/** A restriction to one geography (what customers, keys and teams carry today). */
export function restriction(
  source: RestrictionSource,
  id: string | undefined,
  g: Geography,
): RegionRestriction {
  return Object.freeze({ source, id, allowed: new Set([g]) });
}

/** `region "eu"` or `regions "eu", "uk"`, for messages. */
export function describeAllowed(policy: RegionPolicy): string {
  const list = [...(policy.allowed ?? [])].sort();
  if (list.length === 1) return `region "${list[0]}"`;
  if (list.length === 0) return "no region (its restrictions do not intersect)";
  return `regions ${list.map((g) => `"${g}"`).join(", ")}`;
}

/**
 * THE region filter. Every path that selects a deployment (first attempt, retry, fallback group,
 * cache lookup) goes through this function and nothing else. A restricted policy keeps only
 * deployments whose geography it allows; unassigned deployments never pass a restricted policy.
 */
export function filterByRegion(
  deployments: readonly Deployment[],
  policy: RegionPolicy,
): readonly Deployment[] {
  if (policy.allowed === null) return deployments;
  return deployments.filter((d) => geographyAllowed(policy, d.geography));
}

/** The same rule, for one deployment: the last check before any byte is sent. */
export function isAllowed(d: Deployment, policy: RegionPolicy): boolean {
  return geographyAllowed(policy, d.geography);
}

/**
 * The rule itself, for a geography: where a deployment is, or where a cached answer was produced
 * (the response cache asks it before serving any entry). `undefined` (unassigned) never passes a
 * restricted policy.
 */
export function geographyAllowed(policy: RegionPolicy, g: Geography | undefined): boolean {
  const allowed = policy.allowed;
  return allowed === null || (g !== undefined && allowed.has(g));
}
