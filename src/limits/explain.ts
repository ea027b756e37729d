import type { LimitScope } from "../auth/grant.js";
import type { GatewayError } from "../errors.js";
import type { Principal } from "../pipeline/types.js";
import { budgetRefusal, type LimitsDeps, modelRefusal } from "./stage.js";

export interface BudgetVerdict {
  scope: LimitScope["scope"];
  id: string;
  spend: number;
  max_budget: number | null;
  exceeded: boolean;
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
  /** The first refusal, in the order the stage checks: models, the end user's budget, key/team/user. */
  refusal: GatewayError | undefined;
}

/**
 * The limits stage as a dry run (POST /route/explain): the same model lists and budget checks as
 * admit() in stage.ts, reading the same ledger, but nothing is counted or held. Rate limits (rpm,
 * tpm, parallel) are not answered: a dry run cannot know what will arrive before the real request.
 */
export async function explainLimits(
  deps: LimitsDeps | undefined,
  principal: Principal,
  model: string | undefined,
  group: string | undefined,
  endUserId: string | undefined,
): Promise<LimitsExplanation> {
  const g = principal.grant;
  const out: LimitsExplanation = { models: null, budgets: [], refusal: undefined };
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
  return out;
}
