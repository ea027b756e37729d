import { type DeploymentRow, host, useOverview } from "../overview.js";

const STATE_TEXT = {
  healthy: "healthy",
  partial_outage: "last call failed",
  cooling: "cooling down",
} as const;

/** Deployments grouped by the geography they really process data in, with the evidence for it. */
export function Deployments() {
  const { data, error } = useOverview(5000);
  const byGeo = new Map<string, DeploymentRow[]>();
  for (const d of data?.deployments ?? []) {
    const g = d.geography ?? "unassigned";
    byGeo.set(g, [...(byGeo.get(g) ?? []), d]);
  }
  const geos = [...byGeo.keys()].sort((a, b) =>
    a === "unassigned" ? 1 : b === "unassigned" ? -1 : a.localeCompare(b),
  );
  return (
    <section aria-labelledby="deployments-h">
      <h2 id="deployments-h">Deployments by geography</h2>
      <p class="muted">
        A customer pinned to a region is served only by the deployments under that region. Unassigned
        deployments never serve a pinned customer.
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="geo-grid">
        {geos.map((g) => (
          <article
            class={`geo ${g === "unassigned" ? "unassigned" : ""}`}
            aria-labelledby={`geo-${g}`}
            data-geography={g}
          >
            <h3 id={`geo-${g}`}>
              {g} <span class="muted">({byGeo.get(g)?.length} deployments)</span>
            </h3>
            <ul>
              {byGeo.get(g)?.map((d) => (
                <li data-deployment={d.id}>
                  <div>
                    <strong>{d.model_group}</strong> <span class="muted">{d.model}</span>
                    <span class={`badge ${d.state === "healthy" ? "good" : "bad"}`}>
                      {STATE_TEXT[d.state]}
                      {d.cooldown_seconds > 0 ? ` (${d.cooldown_seconds}s)` : ""}
                    </span>
                  </div>
                  <div class="small">
                    {d.provider} · {host(d.api_base)}
                    {d.region_name && ` · region ${d.region_name}`}
                  </div>
                  <div class="small evidence">Evidence: {d.evidence ?? d.region_source}</div>
                </li>
              ))}
            </ul>
          </article>
        ))}
      </div>
    </section>
  );
}
