import type { RegionRestriction } from "../router/filters.js";
import type { SpendKind } from "../store/access-types.js";

/** One party whose limits and budget apply to a request: the key, its team, its user. */
export interface LimitScope {
  readonly kind: SpendKind;
  readonly id: string;
  /** LiteLLM's descriptor in x-ratelimit-{scope}-* headers and messages: api_key, team, user, customer. */
  readonly scope: "api_key" | "team" | "user" | "customer";
  /** How budget messages name it (LiteLLM: `Key=<alias> (sk-...XXXX)`, `Team=<id>`). */
  readonly label: string;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly parallel: number | null;
  readonly maxBudget: number | null;
  /** Spend in the store when this was loaded. */
  readonly spend: number;
  /** The budget period this spend belongs to (budget_reset_at), so a reset starts a new count. */
  readonly period: string;
}

/** What a virtual key may do, resolved once per cache entry (key + team + user rows). */
export interface AccessGrant {
  readonly keyHash: string;
  readonly keyName: string;
  readonly teamId: string | undefined;
  readonly userId: string | undefined;
  /** The key's model allowlist ([] = whatever the team allows). */
  readonly keyModels: readonly string[];
  /** The team's allowlist, when the key has a team ([] = all). */
  readonly teamModels: readonly string[] | undefined;
  /** Key-level model aliases: requested name -> model group. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Key, then team, then user: each one's limits and budget. */
  readonly scopes: readonly LimitScope[];
  readonly regions: readonly RegionRestriction[];
}

// A scope's counter and ledger key, made once per scope object (a cached key's scopes live as long as its
// cache entry): the same string each time, so the window map never hashes a new one.
const scopeKeys = new WeakMap<LimitScope, string>();

/** `kind:id` of a scope (its rate counters, its spend in the ledger). */
export function scopeKey(s: LimitScope): string {
  let k = scopeKeys.get(s);
  if (k === undefined) {
    k = `${s.kind}:${s.id}`;
    scopeKeys.set(s, k);
  }
  return k;
}
