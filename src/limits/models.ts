/**
 * LiteLLM's model allowlists: [] allows every model; "*" and "all-proxy-models" too; otherwise a
 * name matches exactly, or an entry ending in "*" matches by prefix ("openai/*"). A request is
 * checked against the model it named and the model group that name resolved to (an alias).
 */
export function modelAllowed(list: readonly string[], names: readonly (string | undefined)[]): boolean {
  if (list.length === 0) return true;
  for (const entry of list) {
    if (entry === "*" || entry === "all-proxy-models") return true;
    const wildcard = entry.endsWith("*");
    const prefix = wildcard ? entry.slice(0, -1) : entry;
    for (const n of names) {
      if (n === undefined) continue;
      if (wildcard ? n.startsWith(prefix) : n === entry) return true;
    }
  }
  return false;
}
