import type { GatewayConfig, RouterConfig } from "../config/normalize.js";
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

/** A model group named with one `*` (`openai/*`, `*`): matches any model with its prefix and suffix. */
interface Wildcard {
  group: string;
  prefix: string;
  suffix: string;
}

/** Knows the model groups and decides which deployment serves an attempt. No I/O. */
export class Router {
  readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  readonly settings: RouterConfig;
  private readonly regional = new Map<string, Map<string, readonly Deployment[]>>();
  private readonly strategy: Strategy;
  private readonly wildcards: Wildcard[] = [];

  constructor(
    config: Pick<GatewayConfig, "deployments" | "router">,
    readonly state: RouterState,
    /** Strategies and backoff jitter draw from here; tests seed it. */
    readonly random: () => number = Math.random,
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
    for (const group of groups.keys()) {
      const star = group.indexOf("*");
      if (star >= 0 && star === group.lastIndexOf("*"))
        this.wildcards.push({ group, prefix: group.slice(0, star), suffix: group.slice(star + 1) });
    }
    // Most specific pattern first: `openai/gpt-4*` before `openai/*` before `*`.
    this.wildcards.sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));
  }

  /**
   * The model group a client's `model` names: exactly, by model_group_alias, or by a wildcard
   * group (`openai/*`); undefined if none.
   */
  resolveGroup(model: string): string | undefined {
    if (this.groups.has(model)) return model;
    const alias = this.settings.aliases.get(model);
    if (alias !== undefined && this.groups.has(alias)) return alias;
    for (const w of this.wildcards) if (capture(w, model) !== undefined) return w.group;
    return undefined;
  }

  /**
   * For a wildcard deployment (`litellm_params.model: openai/*`), the same deployment with the
   * client's model substituted for `*`: `openai/gpt-4o` sends `gpt-4o` upstream. Everything
   * else — id, region, api_base — is the chosen deployment's, so region checks are unaffected.
   */
  bind(d: Deployment, model: string): Deployment {
    const star = d.upstreamModel.indexOf("*");
    if (star < 0) return d;
    const w = this.wildcards.find((x) => x.group === d.modelGroup);
    const part = w ? capture(w, model) : undefined;
    if (part === undefined) return d;
    return { ...d, upstreamModel: d.upstreamModel.slice(0, star) + part + d.upstreamModel.slice(star + 1) };
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
    let list = byGeo.get(policy.key);
    if (!list) {
      list = filterByRegion(all, policy);
      byGeo.set(policy.key, list);
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
    return { kind: "ok", candidates: warm };
  }

  /**
   * Half-open probe (Envoy's panic threshold, a breaker's half-open state), for when every in-region
   * deployment of `group` is cooling: the one whose cooldown on Meridian's own failure count ends
   * soonest and has no probe in flight, its probe slot claimed (the caller must `endProbe`). Cooldowns
   * the upstream asked for are waited out. Only in-region deployments are considered: never wider.
   */
  claimProbe(
    group: string,
    policy: RegionPolicy,
    now: number,
    tried: ReadonlySet<string>,
  ): Deployment | undefined {
    if (this.settings.disableCooldowns) return undefined;
    const cooling: Array<[number, Deployment]> = [];
    for (const d of this.inRegion(group, policy)) {
      if (tried.has(d.id) || this.state.cooldownReason(d.id, now) !== "failures") continue;
      cooling.push([this.state.cooldownUntil(d.id, now), d]);
    }
    cooling.sort((a, b) => a[0] - b[0]);
    for (const [, d] of cooling) if (this.state.tryProbe(d.id)) return d;
    return undefined;
  }

  /**
   * One of `candidates` by the strategy; undefined when the strategy refuses all (rpm/tpm caps).
   * LiteLLM `order`: the lowest order tier is asked first; a higher tier only when every lower one is
   * unavailable — cooling (already excluded), tried, or refused here for its rpm/tpm.
   */
  pick(candidates: readonly Deployment[], now: number, estimatedTokens: number): Deployment | undefined {
    const ctx = {
      state: this.state,
      now,
      estimatedTokens,
      latencyBufferFraction: this.settings.latencyBufferFraction,
      random: this.random,
    };
    if (!candidates.some((d) => d.order !== undefined)) return this.strategy(candidates, ctx);
    for (const tier of orderTiers(candidates)) {
      const d = this.strategy(tier, ctx);
      if (d) return d;
    }
    return undefined;
  }
}

function capture(w: Wildcard, model: string): string | undefined {
  if (model.length < w.prefix.length + w.suffix.length) return undefined;
  if (!model.startsWith(w.prefix) || !model.endsWith(w.suffix)) return undefined;
  const part = model.slice(w.prefix.length, model.length - w.suffix.length);
  return part.length > 0 ? part : undefined;
}

/** Candidates grouped by `order`, lowest first; deployments without an order come last. */
function orderTiers(list: readonly Deployment[]): Deployment[][] {
  const byOrder = new Map<number, Deployment[]>();
  for (const d of list) {
    const o = d.order ?? Number.MAX_SAFE_INTEGER;
    const tier = byOrder.get(o);
    if (tier) tier.push(d);
    else byOrder.set(o, [d]);
  }
  return [...byOrder.keys()].sort((a, b) => a - b).map((o) => byOrder.get(o) as Deployment[]);
}
