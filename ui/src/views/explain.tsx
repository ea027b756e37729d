import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";

interface Verdict {
  id: string;
  provider: string;
  geography: string | null;
  eligible: boolean;
  reasons: string[];
}
interface Explanation {
  model_group?: string;
  end_user?: string | null;
  refusal?: { message: string; code: string };
  policy?: { allowed: string[] | null; sources: { source: string; id: string | null; allowed: string[] }[] };
  pick?: { deployment_id: string; model_group: string; geography: string | null } | null;
  groups?: { model_group: string; role: string; deployments: Verdict[] }[];
}

/** "Where would this go?": the route explain dry run (no upstream call, no state change). */
export function Explain() {
  const [groups, setGroups] = useState<string[]>([]);
  const [model, setModel] = useState("");
  const [customer, setCustomer] = useState("");
  const [result, setResult] = useState<Explanation>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ data: { model_name: string }[] }>("GET", "/model/info")
      .then((r) => {
        const names = [...new Set(r.data.map((d) => d.model_name))].sort();
        setGroups(names);
        setModel((m) => m || names[0] || "");
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = { body: { model, messages: [{ role: "user", content: "…" }] } };
      if (customer.trim()) body.end_user_id = customer.trim();
      setResult(await api<Explanation>("POST", "/route/explain", body));
      setError(undefined);
    } catch (err) {
      setResult(undefined);
      setError((err as Error).message);
    }
  }
  return (
    <section aria-labelledby="explain-h">
      <h2 id="explain-h">Where would this go?</h2>
      <form class="row" onSubmit={submit}>
        <label for="explain-model">Model</label>
        <select
          id="explain-model"
          value={model}
          onChange={(e) => setModel((e.target as HTMLSelectElement).value)}
        >
          {groups.map((g) => (
            <option value={g}>{g}</option>
          ))}
        </select>
        <label for="explain-customer">Customer id (optional)</label>
        <input
          id="explain-customer"
          value={customer}
          onInput={(e) => setCustomer((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Explain</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {result?.refusal && (
        <p role="status" class="error" data-verdict="refused">
          Refused ({result.refusal.code}): {result.refusal.message}
        </p>
      )}
      {result && !result.refusal && (
        <div role="status" data-verdict={result.pick ? "served" : "none"}>
          <p>
            {result.pick
              ? `Would be served by ${result.pick.deployment_id} in ${result.pick.geography ?? "an unassigned region"}.`
              : "No deployment could serve it now."}{" "}
            Policy:{" "}
            {result.policy?.allowed
              ? `${result.policy.allowed.join(", ") || "nothing (conflicting restrictions)"} — from ${result.policy.sources
                  .map((s) => `${s.source} ${s.id ?? ""}`.trim())
                  .join(", ")}`
              : "unrestricted"}
          </p>
          {result.groups?.map((g) => (
            <table>
              <caption>
                {g.model_group} ({g.role})
              </caption>
              <thead>
                <tr>
                  <th scope="col">Deployment</th>
                  <th scope="col">Geography</th>
                  <th scope="col">Eligible</th>
                  <th scope="col">Why not</th>
                </tr>
              </thead>
              <tbody>
                {g.deployments.map((d) => (
                  <tr data-deployment={d.id}>
                    <td>
                      {d.id} <span class="muted">{d.provider}</span>
                    </td>
                    <td>{d.geography ?? "unassigned"}</td>
                    <td>{d.eligible ? "yes" : "no"}</td>
                    <td>{d.reasons.join("; ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        </div>
      )}
    </section>
  );
}
