import type { Deployment } from "./deployment.js";
import { isAllowed, type RegionPolicy } from "./filters.js";
import type { Router } from "./router.js";

export interface DeploymentVerdict {
  id: string;
  model_group: string;
  provider: string;
  geography: string | null;
  region_name: string | null;
  region_source: string;
  eligible: boolean;
  /** Why not: region, cooldown, rpm_tpm (empty when eligible). */
  reasons: string[];
  cooldown_until: string | null;
}

export interface GroupExplanation {
  model_group: string;
  /** fallback groups are asked only after the first group fails or has nothing to offer */
  role: "requested" | "fallback";
  deployments: DeploymentVerdict[];
  /** The deployment a request would go to now in this group, if it came to this group. */
  pick: string | null;
  /** When nothing is eligible: none_in_region, cooling (a probe may go to `probe`), or usage. */
  blocked: "none_in_region" | "cooling" | "usage" | null;
  probe: string | null;
}

export interface RouteExplanation {
  groups: GroupExplanation[];
  /** The deployment the first attempt would go to now: the first group's pick, else a fallback's. */
  pick: { deployment_id: string; model_group: string; geography: string | null } | null;
}

/**
 * A dry run of the attempt loop's first pick (router/attempt.ts): the same `available`, the same
 * strategy, the same region filter, for the requested group and then its generic fallbacks. It reads
 * routing state and draws from the router's random source as a real pick does, but claims nothing
 * (no probe slot, no in-flight count, no usage).
 */
export function explainRoute(
  router: Router,
  group: string,
  model: string | undefined,
  policy: RegionPolicy,
  now: number,
  estimatedTokens: number,
): RouteExplanation {
  const cfg = router.settings;
  const queue = [group, ...(cfg.fallbacks.get(group) ?? cfg.defaultFallbacks).filter((g) => g !== group)];
  const groups: GroupExplanation[] = [];
  let pick: RouteExplanation["pick"] = null;
  const seen = new Set<string>();
  for (const [i, g] of queue.entries()) {
    if (seen.has(g)) continue;
    seen.add(g);
    const e = explainGroup(router, g, policy, now, estimatedTokens, i === 0 ? "requested" : "fallback");
    groups.push(e);
    if (!pick && e.pick) {
      const d = router.groups.get(g)?.find((x) => x.id === e.pick) as Deployment;
      const bound = model === undefined ? d : router.bind(d, model);
      pick = { deployment_id: bound.id, model_group: g, geography: bound.geography ?? null };
    }
    // The loop moves on to fallbacks only when this group cannot take the request at all now.
    if (e.pick || e.probe) break;
  }
  return { groups, pick };
}

function explainGroup(
  router: Router,
  group: string,
  policy: RegionPolicy,
  now: number,
  estimatedTokens: number,
  role: GroupExplanation["role"],
): GroupExplanation {
  const all = router.groups.get(group) ?? [];
  const usageBased = router.settings.strategy === "usage-based-routing-v2";
  const deployments: DeploymentVerdict[] = all.map((d) => {
    const reasons: string[] = [];
    if (!isAllowed(d, policy))
      reasons.push(`region: ${d.geography ?? "unassigned"} is not in the policy (${policy.key})`);
    const until = router.settings.disableCooldowns ? 0 : router.state.cooldownUntil(d.id, now);
    if (until > 0) reasons.push(`cooldown (${router.state.cooldownReason(d.id, now) ?? "unknown"})`);
    if (usageBased && router.pick([d], now, estimatedTokens) === undefined)
      reasons.push("rpm_tpm: at its limit this minute");
    return {
      id: d.id,
      model_group: d.modelGroup,
      provider: d.provider,
      geography: d.geography ?? null,
      region_name: d.regionName ?? null,
      region_source: d.regionSource,
      eligible: reasons.length === 0,
      reasons,
      cooldown_until: until > 0 ? new Date(until).toISOString() : null,
    };
  });
  const av = router.available(group, policy, now, new Set());
  let pick: string | null = null;
  let blocked: GroupExplanation["blocked"] = null;
  let probe: string | null = null;
  if (av.kind === "none_in_region") blocked = "none_in_region";
  else if (av.kind === "cooling") {
    blocked = "cooling";
    probe = probeCandidate(router, group, policy, now);
  } else {
    const d = router.pick(av.candidates, now, estimatedTokens);
    if (d) pick = d.id;
    else blocked = "usage";
  }
  return { model_group: group, role, deployments, pick, blocked, probe };
}

/** Which deployment claimProbe would offer (without claiming it; a probe already in flight is not visible). */
function probeCandidate(router: Router, group: string, policy: RegionPolicy, now: number): string | null {
  if (router.settings.disableCooldowns) return null;
  let best: [number, string] | undefined;
  for (const d of router.inRegion(group, policy)) {
    if (router.state.cooldownReason(d.id, now) !== "failures") continue;
    const until = router.state.cooldownUntil(d.id, now);
    if (!best || until < best[0]) best = [until, d.id];
  }
  return best?.[1] ?? null;
}
