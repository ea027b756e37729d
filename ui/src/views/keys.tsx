import { useEffect, useState } from "preact/hooks";
import { api, GEOGRAPHIES } from "../api.js";

interface Key {
  token: string;
  key_name: string;
  key_alias: string | null;
  team_id: string | null;
  allowed_model_region: string | null;
  spend: number;
  max_budget: number | null;
  blocked: boolean | null;
}
interface Team {
  team_id: string;
  team_alias: string | null;
  allowed_model_region: string | null;
  spend: number;
  max_budget: number | null;
}

/** Virtual keys and teams, with their regions: a key pinned to a region never leaves it. */
export function Keys() {
  const [keys, setKeys] = useState<Key[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [alias, setAlias] = useState("");
  const [region, setRegion] = useState("eu");
  const [team, setTeam] = useState("");
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<string>();
  async function load() {
    try {
      const [k, t] = await Promise.all([
        api<{ keys: Key[] }>("GET", "/key/list?return_full_object=true&size=100"),
        api<Team[] | { teams?: Team[]; data?: Team[] }>("GET", "/team/list"),
      ]);
      setKeys(k.keys);
      setTeams(Array.isArray(t) ? t : (t.teams ?? t.data ?? []));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => {
    void load();
  }, []);
  async function generate(e: Event) {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = { key_alias: alias.trim() || undefined };
      if (region) body.allowed_model_region = region;
      if (team) body.team_id = team;
      const r = await api<{ key: string }>("POST", "/key/generate", body);
      setCreated(r.key);
      setAlias("");
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  return (
    <section aria-labelledby="keys-h">
      <h2 id="keys-h">Keys and teams</h2>
      <form class="row" onSubmit={generate}>
        <label for="key-alias">Key alias</label>
        <input id="key-alias" value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} />
        <label for="key-region">Region</label>
        <select
          id="key-region"
          value={region}
          onChange={(e) => setRegion((e.target as HTMLSelectElement).value)}
        >
          <option value="">any region</option>
          {GEOGRAPHIES.map((g) => (
            <option value={g.code}>
              {g.code} — {g.name}
            </option>
          ))}
        </select>
        <label for="key-team">Team</label>
        <select id="key-team" value={team} onChange={(e) => setTeam((e.target as HTMLSelectElement).value)}>
          <option value="">none</option>
          {teams.map((t) => (
            <option value={t.team_id}>{t.team_alias ?? t.team_id}</option>
          ))}
        </select>
        <button type="submit">Generate key</button>
      </form>
      {created && (
        <p role="status" class="ok">
          New key (shown once, copy it now): <code data-new-key>{created}</code>
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <table>
        <caption>Keys</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Alias</th>
            <th scope="col">Team</th>
            <th scope="col">Region</th>
            <th scope="col">Spend / budget</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr data-key-alias={k.key_alias ?? ""}>
              <td>
                <code>{k.key_name}</code>
              </td>
              <td>{k.key_alias ?? ""}</td>
              <td>{k.team_id ?? ""}</td>
              <td>{k.allowed_model_region ?? "any"}</td>
              <td>
                ${k.spend.toFixed(4)}
                {k.max_budget !== null ? ` / $${k.max_budget}` : ""}
              </td>
              <td>
                {k.blocked ? <span class="badge bad">blocked</span> : <span class="badge good">active</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Teams</caption>
        <thead>
          <tr>
            <th scope="col">Team</th>
            <th scope="col">Region</th>
            <th scope="col">Spend / budget</th>
          </tr>
        </thead>
        <tbody>
          {teams.map((t) => (
            <tr>
              <td>{t.team_alias ?? t.team_id}</td>
              <td>{t.allowed_model_region ?? "any"}</td>
              <td>
                ${t.spend.toFixed(4)}
                {t.max_budget !== null ? ` / $${t.max_budget}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
