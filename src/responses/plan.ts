import { type Affinity, type AffinityEntry, AffinityUnavailable } from "../affinity/affinity.js";
import { mayUse } from "../affinity/owner.js";
import { gatewayError } from "../errors.js";
import { resolveModel } from "../pipeline/model.js";
import { type PolicyDeps, policyFor } from "../pipeline/policy.js";
import type { ProxyRequest } from "../pipeline/types.js";
import type { Deployment } from "../router/deployment.js";
import { describeAllowed, isAllowed, type RegionPolicy } from "../router/filters.js";
import type { Router } from "../router/router.js";

export interface ResponsesPlanDeps extends PolicyDeps {
  router: Router;
  modelNames: readonly string[];
  affinity: Affinity;
}

/** A stored response and the deployment that holds it, already checked against the caller's policy. */
export interface Held {
  readonly entry: AffinityEntry;
  readonly deployment: Deployment;
}

export interface ResponsesPlan {
  body: Record<string, unknown>;
  model: string | undefined;
  group: string;
  policy: RegionPolicy;
  /** The stored response this request continues or names; its deployment is the only one to call. */
  held: Held | undefined;
}

/** Affinity kind of a stored response. */
export const RESPONSE = "response";

/**
 * The Responses API's stages 1-3: body and model (a create), policy, and — for a follow-up or a
 * create with `previous_response_id` — the deployment that holds the response, which must pass the
 * caller's policy through the one filter (isAllowed) or the request is refused with nothing sent.
 * Throws GatewayError; `onEndUser` learns the end user as soon as it is known (for the log line).
 */
export async function planResponses(
  deps: ResponsesPlanDeps,
  req: ProxyRequest,
  onEndUser: (id: string | undefined) => void,
): Promise<ResponsesPlan> {
  if (req.object) {
    const body = (req.body && typeof req.body === "object" ? req.body : {}) as Record<string, unknown>;
    const policy = await policyOf(deps, req, body, onEndUser);
    const held = await holder(deps, req, req.object.id, policy);
    if (req.object.action === "cancel" && held.entry.data !== undefined)
      throw gatewayError("response_not_cancellable", { id: req.object.id });
    return { body, model: undefined, group: held.deployment.modelGroup, policy, held };
  }
  const m = resolveModel(deps.router, deps.modelNames, req.op, req.body, req.pathModel);
  const policy = await policyOf(deps, req, m.body, onEndUser);
  const prev = m.body.previous_response_id;
  const held = typeof prev === "string" && prev !== "" ? await holder(deps, req, prev, policy) : undefined;
  return { body: m.body, model: m.model, group: m.group, policy, held };
}

async function policyOf(
  deps: PolicyDeps,
  req: ProxyRequest,
  body: Record<string, unknown>,
  onEndUser: (id: string | undefined) => void,
): Promise<RegionPolicy> {
  const p = policyFor(deps, req, body);
  onEndUser(p.endUserId);
  return p.policy ?? (await (p.pending as Promise<RegionPolicy>));
}

async function holder(
  deps: ResponsesPlanDeps,
  req: ProxyRequest,
  id: string,
  policy: RegionPolicy,
): Promise<Held> {
  let entry: AffinityEntry | undefined;
  try {
    entry = await deps.affinity.lookup(RESPONSE, id);
  } catch (err) {
    if (err instanceof AffinityUnavailable) throw gatewayError("affinity_unavailable", { id });
    throw err;
  }
  // another tenant's id is as unknown as a made-up one, and is checked before the region (a 403
  // would say where it lives)
  if (!entry || !mayUse(entry, req.principal)) throw gatewayError("response_not_found", { id });
  const deployment = findDeployment(deps.router, entry.deploymentId);
  if (!deployment) throw gatewayError("response_not_found", { id, gone: entry.deploymentId });
  if (!isAllowed(deployment, policy))
    throw gatewayError("response_region_forbidden", {
      id,
      deployment: deployment.id,
      geography: deployment.geography ?? null,
      allowed: `policy (${describeAllowed(policy)})`,
    });
  return { entry, deployment };
}

function findDeployment(router: Router, id: string): Deployment | undefined {
  for (const list of router.groups.values()) for (const d of list) if (d.id === id) return d;
  return undefined;
}
