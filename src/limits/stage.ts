import type { AccessGrant, LimitScope } from "../auth/grant.js";
import type { CustomerBudgets } from "../budgets/customer-budgets.js";
import type { SpendLedger } from "../budgets/spend.js";
import { type GatewayError, gatewayError } from "../errors.js";
import type { ProxyRequest } from "../pipeline/types.js";
import type { Usage } from "../wire/usage.js";
import { modelAllowed } from "./models.js";
import type { Admission, RateCounters } from "./rate.js";

export interface LimitsDeps {
  rate: RateCounters;
  ledger: SpendLedger;
  /** End users' max_budget (customers), whoever the caller is. */
  customers?: CustomerBudgets;
}

/** What an admitted request carries to its end: headers for the answer, and the settlement. */
export interface Ticket {
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Once, when the request is over: tokens for tpm, cost for budgets, the parallel slot back. */
  settle(usage: Usage | undefined, cost: number | undefined): void;
}

/** A key's own model aliases apply before the model is resolved (LiteLLM's key `aliases`). */
export function aliasModel(req: ProxyRequest): void {
  const aliases = req.principal.grant?.aliases;
  const body = req.body as Record<string, unknown> | undefined;
  if (!aliases || !body || typeof body.model !== "string") return;
  const to = aliases[body.model];
  if (to !== undefined) body.model = to;
}

/**
 * The limits stage, after the policy and before any attempt: the key's and team's model
 * allowlists, then every budget (key, team, user), then rpm / tpm / parallel (one atomic check of
 * all scopes). Throws the refusal; nothing is sent upstream for a refused request.
 */
export function admit(
  deps: LimitsDeps,
  req: ProxyRequest,
  model: string | undefined,
  group: string | undefined,
  endUserId: string | undefined,
): Ticket | Promise<Ticket> {
  const g = req.principal.grant;
  if (g) checkModels(g, model, group);
  const c = endUserId !== undefined && deps.customers ? deps.customers.scope(endUserId) : null;
  if (c instanceof Promise) return c.then((scope) => admitWith(deps, g, scope, endUserId));
  return admitWith(deps, g, c, endUserId);
}

function admitWith(
  deps: LimitsDeps,
  g: AccessGrant | undefined,
  customer: LimitScope | null,
  endUserId: string | undefined,
): Ticket | Promise<Ticket> {
  if (customer) checkBudget(deps, customer);
  if (!g) return endUserId === undefined ? NO_TICKET : spendOnly(deps, endUserId);
  for (const s of g.scopes) checkBudget(deps, s);
  const a = deps.rate.admit(g.scopes, Date.now());
  return a instanceof Promise
    ? a.then((x) => ticketFor(deps, g, x, endUserId))
    : ticketFor(deps, g, a, endUserId);
}

function checkBudget(deps: LimitsDeps, s: LimitScope): void {
  const e = budgetRefusal(deps, s);
  if (e) throw e;
}

/** The refusal a scope's budget gives now (budget_exceeded), or undefined. Reads, claims nothing. */
export function budgetRefusal(deps: LimitsDeps, s: LimitScope): GatewayError | undefined {
  if (s.maxBudget === null) return undefined;
  const spent = deps.ledger.spent(s);
  if (spent < s.maxBudget) return undefined;
  return gatewayError(
    "budget_exceeded",
    { who: s.label, spend: spent, max: s.maxBudget },
    { headers: { "x-should-retry": "false" } },
  );
}

function checkModels(g: AccessGrant, model: string | undefined, group: string | undefined): void {
  const e = modelRefusal(g, model, group);
  if (e) throw e;
}

/** The refusal a key's or its team's model list gives a model, or undefined. */
export function modelRefusal(
  g: AccessGrant,
  model: string | undefined,
  group: string | undefined,
): GatewayError | undefined {
  const names = [model, group];
  const name = model ?? group ?? "";
  if (!modelAllowed(g.keyModels, names))
    return gatewayError("key_model_access_denied", { model: name, allowed: g.keyModels }, { param: "model" });
  if (g.teamModels && !modelAllowed(g.teamModels, names))
    return gatewayError(
      "team_model_access_denied",
      { model: name, teamId: g.teamId ?? "", allowed: g.teamModels },
      { param: "model" },
    );
  return undefined;
}

function ticketFor(deps: LimitsDeps, g: AccessGrant, a: Admission, endUserId: string | undefined): Ticket {
  if (!a.ok) throw rateRefusal(a);
  let done = false;
  return {
    headers: a.headers,
    settle(usage, cost) {
      if (done) return;
      done = true;
      deps.rate.release(g.scopes);
      if (usage && usage.total > 0) deps.rate.addTokens(g.scopes, usage.total, Date.now());
      if (cost !== undefined && cost > 0)
        deps.ledger.recordSpend({ keyHash: g.keyHash, teamId: g.teamId, userId: g.userId, endUserId, cost });
    },
  };
}

export function rateRefusal(a: Extract<Admission, { ok: false }>): GatewayError {
  const s: LimitScope = a.scope;
  return gatewayError(
    "rate_limit_exceeded",
    {
      scope: s.scope,
      id: s.kind === "key" ? (s.label.match(/\((sk-[^)]*)\)/)?.[1] ?? "key") : s.id,
      kind: a.kind,
      limit: a.limit,
      retryAfter: a.retryAfterS,
    },
    {
      headers: {
        "retry-after": String(a.retryAfterS),
        [`x-ratelimit-${s.scope}-limit-${a.kind === "tokens" ? "tokens" : "requests"}`]: String(a.limit),
        [`x-ratelimit-${s.scope}-remaining-${a.kind === "tokens" ? "tokens" : "requests"}`]: "0",
      },
    },
  );
}

const NO_TICKET: Ticket = Object.freeze({ headers: undefined, settle() {} });

/** Master key or open access with an end user: only the customer's spend is recorded. */
function spendOnly(deps: LimitsDeps, endUserId: string): Ticket {
  let done = false;
  return {
    headers: undefined,
    settle(_usage, cost) {
      if (done) return;
      done = true;
      if (cost !== undefined && cost > 0) deps.ledger.recordSpend({ endUserId, cost });
    },
  };
}
