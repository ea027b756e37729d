import { gatewayError } from "../errors.js";
import { describeAllowed, isAllowed, type RegionPolicy } from "../router/filters.js";
import type { Router } from "../router/router.js";
import type { ProxyRequest } from "./types.js";

/**
 * A follow-up on an object (file, batch) goes to the one deployment holding it or nowhere: when the
 * caller's policy does not allow that deployment, a 403 naming where the object is — before any
 * byte is sent, and never "somewhere else in region" (no other deployment knows the object).
 */
export function pinnedRefusal(router: Router, req: ProxyRequest, policy: RegionPolicy): void {
  const pin = req.pinned;
  if (!pin) return;
  const d = [...router.groups.values()].flat().find((x) => x.id === pin.deploymentId);
  // The holder left the config: nobody can reach the object.
  if (!d) throw gatewayError("object_not_found", { kind: pin.kind, id: pin.id });
  if (isAllowed(d, policy)) return;
  throw gatewayError("object_outside_region", {
    kind: pin.kind,
    id: pin.id,
    where: d.geography ?? "no assigned region",
    allowed: describeAllowed(policy),
    endUserId: policy.endUserId,
  });
}
