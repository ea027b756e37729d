import { identifyEndUser } from "../customers/identify.js";
import type { CustomerService } from "../customers/service.js";
import { GatewayError, gatewayError } from "../errors.js";
import { describeAllowed, policyOf, type RegionPolicy } from "../router/filters.js";
import type { ProxyRequest } from "./types.js";

export interface PolicyDeps {
  customers: CustomerService;
}

export interface PolicyStep {
  endUserId: string | undefined;
  /** Known at once (a cached end user, or none): no promise on the hot path. */
  policy?: RegionPolicy;
  pending?: Promise<RegionPolicy>;
}

/**
 * Stages 2 and 3: who the request is for, and where it may be served — the intersection of the
 * caller's restrictions (key, team) and the end user's (customer, or the default for unknown ones).
 * Throws GatewayError refusals: blocked, rejected, policy unavailable (fail closed), region conflict.
 */
export function policyFor(
  deps: PolicyDeps,
  req: ProxyRequest,
  body: Readonly<Record<string, unknown>>,
): PolicyStep {
  const endUserId = identifyEndUser(req.headers, body, req.rawHeaders)?.id;
  const cached = deps.customers.cached(endUserId, Date.now());
  if (cached instanceof GatewayError) throw cached;
  const own = req.principal.regions;
  if (cached) return { endUserId, policy: combine(own, cached) };
  return { endUserId, pending: deps.customers.policyFor(endUserId).then((p) => combine(own, p)) };
}

function combine(own: ProxyRequest["principal"]["regions"], customer: RegionPolicy): RegionPolicy {
  if (own.length === 0) return customer;
  const policy = policyOf([...own, ...customer.sources], customer.endUserId);
  if (policy.allowed !== null && policy.allowed.size === 0) {
    const sources = policy.sources.map((s) => ({ source: s.source, id: s.id, allowed: [...s.allowed] }));
    throw gatewayError("region_conflict", { sources, allowed: describeAllowed(policy) });
  }
  return policy;
}
