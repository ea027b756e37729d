import type { GatewayConfig, RouterConfig } from "../config/normalize.js";
import type { Geography } from "../regions/table.js";
import type { Deployment } from "./deployment.js";
import { filterByRegion, type RegionPolicy } from "./filters.js";
import type { RouterState } from "./state.js";
import { STRATEGIES, type Strategy } from "./strategies/index.js";

export type Availability =
  | { kind: "ok"; candidates: readonly Deployment[] }
  /** The group has no deployment the policy allows: permanent for this customer. */
  | { kind: "none_in_region" }
  /** Allowed deployments exist but all are cooling down until `retryAt` (epoch ms). */
  | { kind: "cooling"; retryAt: number };

const ALL = "*";

/** Knows the model groups and decides which deployment serves an attempt. No I/O. */
export class Router {
  readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  readonly settings: RouterConfig;
  private readonly regional = new Map<string, Map<Geography | typeof ALL, readonly Deployment[]>>();
  private readonly strategy: Strategy;

  constructor(
    config: Pick<GatewayConfig, "deployments" | "router">,
    readonly state: RouterState,
    private readonly random: () => number = Math.random,
  ) {
    const groups = new Map<string, Deployment[]>();
    for (const d of config.deployments) {
      const list = groups.get(d.modelGroup);
      if (list) list.push(d);
      else groups.set(d.modelGroup, [d]);
    }
    this.groups = groups;
    this.settings = config.router;
    this.strategy = STRATEGIES[config.router.strategy];
  }

  /** The model group a client's `model` names (directly or by model_group_alias); undefined if none. */
  resolveGroup(model: string): string | undefined {
    if (this.groups.has(model)) return model;
    const alias = this.settings.aliases.get(model);
    return alias !== undefined && this.groups.has(alias) ? alias : undefined;
  }

  /** Deployments of `group` the policy allows, via the one region filter (memoized per geography). */
  inRegion(group: string, policy: RegionPolicy): readonly Deployment[] {
    const all = this.groups.get(group);
    if (!all) return [];
    let byGeo = this.regional.get(group);
    if (!byGeo) {
      byGeo = new Map();
      this.regional.set(group, byGeo);
    }
    const key = policy.allowed ?? ALL;
    let list = byGeo.get(key);
    if (!list) {
      list = filterByRegion(all, policy);
      byGeo.set(key, list);
    }
    return list;
  }

  /** In-region deployments not cooling down, preferring ones not yet `tried` in this request. */
  available(group: string, policy: RegionPolicy, now: number, tried: ReadonlySet<string>): Availability {
    const allowed = this.inRegion(group, policy);
    if (allowed.length === 0) return { kind: "none_in_region" };
    let warm: Deployment[] | undefined;
    let retryAt = Number.POSITIVE_INFINITY;
    for (const d of allowed) {
      const until = this.settings.disableCooldowns ? 0 : this.state.cooldownUntil(d.id, now);
      if (until === 0) {
        warm ??= [];
        warm.push(d);
      } else if (until < retryAt) retryAt = until;
    }
    if (!warm) return { kind: "cooling", retryAt };
    if (tried.size > 0) {
      const fresh = warm.filter((d) => !tried.has(d.id));
      if (fresh.length > 0) warm = fresh;
    }
    return { kind: "ok", candidates: lowestOrder(warm) };
  }

  pick(candidates: readonly Deployment[], now: number, estimatedTokens: number): Deployment | undefined {
    return this.strategy(candidates, {
      state: this.state,
      now,
      estimatedTokens,
      latencyBufferFraction: this.settings.latencyBufferFraction,
      random: this.random,
    });
  }
}

/** LiteLLM `order`: lower order serves first; higher orders only when no lower one is available. */
function lowestOrder(list: Deployment[]): Deployment[] {
  if (list.length < 2) return list;
  let best = Number.POSITIVE_INFINITY;
  let any = false;
  for (const d of list) {
    if (d.order !== undefined) any = true;
    best = Math.min(best, d.order ?? Number.MAX_SAFE_INTEGER);
  }
  return any ? list.filter((d) => (d.order ?? Number.MAX_SAFE_INTEGER) === best) : list;
}
