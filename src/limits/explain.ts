import type { LimitScope } from "../auth/grant.js";
import type { GatewayError } from "../errors.js";
import type { Principal } from "../pipeline/types.js";
import { limited, refusalOf } from "./rate.js";
import { budgetRefusal, type LimitsDeps, modelRefusal, rateRefusal } from "./stage.js";

export interface BudgetVerdict {
  scope: LimitScope["scope"];
  id: string;
  spend: number;
  max_budget: number | null;
  exceeded: boolean;
}

/** A limited scope's minute so far: each limit with its use, and the one a new request would hit. */
export interface RateVerdict {
  scope: LimitScope["scope"];
  id: string;
  rpm: { limit: number; used: number } | null;
  tpm: { limit: number; used: number } | null;
  parallel: { limit: number; in_flight: number } | null;
  exceeded: "requests" | "tokens" | "parallel" | null;
}

/** What the limits stage would say of a request now: its checks, and the refusal if any. */
export interface LimitsExplanation {
  /** The key's and its team's model lists (null: not a virtual key, no list applies). */
  models: {
    key_models: readonly string[];
    team_models: readonly string[] | null;
    allowed: boolean;
  } | null;
  budgets: BudgetVerdict[];
  /** The key's, team's and user's rpm / tpm / parallel limits (only scopes that have one). */
  rates: RateVerdict[];
  /**
   * The first refusal, in the order the stage checks: models, the end user's budget, key/team/user
   * budgets, then rate limits.
   */
  refusal: GatewayError | undefined;
}

/**
 * The limits stage as a dry run (POST /route/explain): the same model lists and budget checks as
 * admit() in stage.ts, reading the same ledger and rate counters, but nothing is counted or held.
 * Rate limits are answered as of now: a request arriving in between may use the last one up.
 */
export async function explainLimits(
  deps: LimitsDeps | undefined,
  principal: Principal,
  model: string | undefined,
  group: string | undefined,
  endUserId: string | undefined,
): Promise<LimitsExplanation> {
  const g = principal.grant;
  const out: LimitsExplanation = { models: null, budgets: [], rates: [], refusal: undefined };
  if (g) {
    const e = modelRefusal(g, model, group);
    out.models = { key_models: g.keyModels, team_models: g.teamModels ?? null, allowed: e === undefined };
    out.refusal = e;
  }
  if (!deps) return out;
  const customer = endUserId !== undefined && deps.customers ? await deps.customers.scope(endUserId) : null;
  const scopes = [...(customer ? [customer] : []), ...(g?.scopes ?? [])];
  for (const s of scopes) {
    const e = budgetRefusal(deps, s);
    out.budgets.push({
      scope: s.scope,
      id: s.id,
      spend: s.maxBudget === null ? s.spend : deps.ledger.spent(s),
      max_budget: s.maxBudget,
      exceeded: e !== undefined,
    });
    out.refusal ??= e;
  }
  const limitedScopes = (g?.scopes ?? []).filter(limited);
  if (limitedScopes.length === 0) return out;
  const now = Date.now();
  const uses = await deps.rate.peek(limitedScopes, now);
  for (const [i, s] of limitedScopes.entries()) {
    const use = uses[i];
    const refused = refusalOf(s, use, now);
    out.rates.push({
      scope: s.scope,
      id: s.id,
      rpm: s.rpm === null ? null : { limit: s.rpm, used: use.requests },
      tpm: s.tpm === null ? null : { limit: s.tpm, used: use.tokens },
      parallel: s.parallel === null ? null : { limit: s.parallel, in_flight: use.parallel },
      exceeded: refused?.kind ?? null,
    });
    if (refused) out.refusal ??= rateRefusal(refused);
  }
  return out;
}
