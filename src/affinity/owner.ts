import type { Principal } from "../pipeline/types.js";
import type { AffinityEntry } from "./affinity.js";

/**
 * Who may use a stored response, file or batch: the team of the virtual key that created it (every
 * key of the team, as an OpenAI project shares its objects), or that key alone when it has no team;
 * `master` for the master key's. The master key (and an open gateway) may use any; an entry without
 * an owner (written by an open gateway, or before owners were kept) is open to every caller. An id
 * alone is not a credential: another tenant's id answers as unknown (404), so it neither reaches the
 * deployment nor says the object exists.
 */
export function ownerOf(p: Principal): string | undefined {
  if (p.kind === "open") return undefined;
  if (p.kind === "master") return "master";
  // the key's id survives /key/regenerate (rows from before it existed hold the token: the same)
  return p.teamId !== undefined ? `team:${p.teamId}` : `key:${p.keyId ?? p.keyHash ?? ""}`;
}

export function mayUse(entry: AffinityEntry, p: Principal): boolean {
  if (p.kind !== "virtual" || entry.owner === undefined) return true;
  return entry.owner === ownerOf(p);
}
