import type { Principal, ProxyResult } from "../pipeline/types.js";
import type { Affinity, AffinityKind } from "./affinity.js";
import { mayUse } from "./owner.js";

/** Upstream pages one filtered answer may read (each is an upstream request of its own). */
const MAX_PAGES = 5;

interface List {
  object?: unknown;
  data: unknown[];
  first_id?: unknown;
  last_id?: unknown;
  has_more?: unknown;
}

/**
 * A list of files or batches (`GET /v1/files`, `/v1/batches`) as a virtual key may see it: only the
 * objects it (or its team) may use — the deployment's list holds every tenant's, with file names.
 * An id this gateway has no record of is left out as well (a follow-up on it would be a 404), and
 * so is one whose record cannot be read now (never shown on a guess). The master key, an open
 * gateway, an error and anything that is not an OpenAI list pass unchanged.
 *
 * A page the filter thinned is filled from the upstream's next pages (`nextPage`, same deployment),
 * up to the client's `limit`: an SDK stops paging at an empty page, so a key whose objects sit
 * behind a page of other tenants' would never see them. `has_more` and first_id/last_id describe
 * the answer; the client's next `after` (its last item) continues where it ends.
 */
export async function ownedOnly(
  affinity: Affinity,
  kind: AffinityKind,
  principal: Principal,
  result: ProxyResult,
  limit: number | undefined,
  nextPage?: (after: string) => Promise<ProxyResult>,
): Promise<ProxyResult> {
  if (principal.kind !== "virtual") return result;
  let list = listOf(result);
  if (!list) return result;
  const first = list;
  // OpenAI's default page sizes when the client names no `limit`
  const want = limit !== undefined && limit > 0 ? limit : kind === "batch" ? 20 : 10_000;
  const kept: unknown[] = [];
  let more = list.has_more === true;
  for (let pages = 1; ; pages++) {
    kept.push(...(await visible(affinity, kind, principal, list.data)));
    if (kept.length >= want || !more || !nextPage || pages >= MAX_PAGES) break;
    const after = (list.data[list.data.length - 1] as { id?: unknown } | null)?.id;
    if (typeof after !== "string") break;
    const next = listOf(await nextPage(after));
    if (!next) break; // a further page failed: what is kept is answered, has_more still true
    list = next;
    more = list.has_more === true;
  }
  const data = kept.slice(0, want);
  const ids = data.map((i) => (i as { id: string }).id);
  const out: Record<string, unknown> = { ...first, data, has_more: more || kept.length > want };
  if ("first_id" in first) out.first_id = ids[0] ?? null;
  if ("last_id" in first) out.last_id = ids[ids.length - 1] ?? null;
  const body = JSON.stringify(out);
  const headers = { ...result.headers };
  for (const h of Object.keys(headers)) if (h.toLowerCase() === "content-length") delete headers[h];
  return { ...result, headers, body };
}

/** A successful whole answer holding an OpenAI list, parsed; else undefined. */
function listOf(result: ProxyResult): List | undefined {
  if (result.status < 200 || result.status >= 300 || result.body === undefined || result.stream)
    return undefined;
  try {
    const list = JSON.parse(String(result.body)) as List;
    return list?.object === "list" && Array.isArray(list.data) ? list : undefined;
  } catch {
    return undefined;
  }
}

/** The items the principal may use; every id's owner at once (Postgres answers them side by side). */
async function visible(
  affinity: Affinity,
  kind: AffinityKind,
  principal: Principal,
  items: unknown[],
): Promise<unknown[]> {
  const ok = await Promise.all(
    items.map(async (item) => {
      const id = (item as { id?: unknown } | null)?.id;
      if (typeof id !== "string") return false;
      const entry = await affinity.lookup(kind, id).catch(() => undefined);
      return entry !== undefined && mayUse(entry, principal);
    }),
  );
  return items.filter((_, i) => ok[i]);
}
