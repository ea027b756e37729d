import type { Principal, ProxyResult } from "../pipeline/types.js";
import type { Affinity, AffinityKind } from "./affinity.js";
import { mayUse } from "./owner.js";

/**
 * A list of files or batches (`GET /v1/files`, `/v1/batches`) as a virtual key may see it: only the
 * objects it (or its team) may use — the deployment's list holds every tenant's, with file names.
 * An id this gateway has no record of is left out as well (a follow-up on it would be a 404), and
 * so is one whose record cannot be read now (never shown on a guess). The master key, an open
 * gateway, an error and anything that is not an OpenAI list pass unchanged. `first_id`/`last_id`
 * follow what is left; `has_more` is the upstream's.
 */
export async function ownedOnly(
  affinity: Affinity,
  kind: AffinityKind,
  principal: Principal,
  result: ProxyResult,
): Promise<ProxyResult> {
  if (principal.kind !== "virtual" || result.status < 200 || result.status >= 300) return result;
  if (result.body === undefined || result.stream) return result;
  let list: { object?: unknown; data?: unknown; first_id?: unknown; last_id?: unknown };
  try {
    list = JSON.parse(String(result.body));
  } catch {
    return result;
  }
  if (list?.object !== "list" || !Array.isArray(list.data)) return result;
  // every id's owner at once: on Postgres the pool answers them side by side, not one round trip each
  const visible = await Promise.all(
    list.data.map(async (item) => {
      const id = (item as { id?: unknown } | null)?.id;
      if (typeof id !== "string") return false;
      const entry = await affinity.lookup(kind, id).catch(() => undefined);
      return entry !== undefined && mayUse(entry, principal);
    }),
  );
  const kept = list.data.filter((_, i) => visible[i]);
  const ids = kept.map((i) => (i as { id: string }).id);
  const out: Record<string, unknown> = { ...list, data: kept };
  if ("first_id" in list) out.first_id = ids[0] ?? null;
  if ("last_id" in list) out.last_id = ids[ids.length - 1] ?? null;
  const body = JSON.stringify(out);
  const headers = { ...result.headers };
  for (const h of Object.keys(headers)) if (h.toLowerCase() === "content-length") delete headers[h];
  return { ...result, headers, body };
}
