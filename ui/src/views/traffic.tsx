import { useOverview } from "../overview.js";

/** Live traffic by geography and model group, from the gateway's own counters (refreshes every 2 s). */
export function Traffic() {
  const { data, error } = useOverview(2000);
  const served = data?.served ?? [];
  const total = served.reduce((n, r) => n + r.requests, 0);
  const byGeo = new Map<string, number>();
  for (const r of served) byGeo.set(r.geography, (byGeo.get(r.geography) ?? 0) + r.requests);
  return (
    <section aria-labelledby="traffic-h">
      <h2 id="traffic-h">Traffic by geography</h2>
      <p class="muted" aria-live="polite">
        {total} requests served since start
        {data ? ` · updated ${new Date(data.generated_at).toLocaleTimeString()}` : ""}
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <ul class="bars" aria-label="Requests served by geography">
        {[...byGeo.entries()].map(([g, n]) => (
          <li class="bar-row" data-geography={g}>
            <span class="bar-label">{g}</span>
            <span class="bar" style={{ width: `${total ? Math.max(2, (n / total) * 100) : 0}%` }} />
            <span class="bar-value">{n}</span>
          </li>
        ))}
      </ul>
      <h3>By model group</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Model group</th>
            <th scope="col">Geography</th>
            <th scope="col">Requests served</th>
          </tr>
        </thead>
        <tbody>
          {served.map((r) => (
            <tr data-row={`${r.model_group}/${r.geography}`}>
              <td>{r.model_group}</td>
              <td>{r.geography}</td>
              <td>{r.requests}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Refused to stay in region</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Model group</th>
            <th scope="col">Reason</th>
            <th scope="col">Requests</th>
          </tr>
        </thead>
        <tbody>
          {(data?.refusals ?? []).length === 0 && (
            <tr>
              <td colSpan={3} class="muted">
                none
              </td>
            </tr>
          )}
          {(data?.refusals ?? []).map((r) => (
            <tr>
              <td>{r.model_group}</td>
              <td>{r.reason}</td>
              <td>{r.requests}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
