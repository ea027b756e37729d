import type { GatewayConfig } from "../config/normalize.js";
import type { Geography } from "../regions/table.js";
import type { Deployment } from "../router/deployment.js";

/**
 * `meridian check`: what a config means for residency, without starting anything (no store, no
 * Redis, no network). Pure: the loaded config in, the report's lines out.
 */
export interface CheckReport {
  lines: string[];
  warnings: string[];
}

export function checkReport(config: GatewayConfig): CheckReport {
  const lines: string[] = [];
  const groups = new Map<string, Deployment[]>();
  for (const d of config.deployments) {
    // A fallback to a single deployment id is served as a group of its own: not a group of the config.
    if (d.modelGroup === d.id && config.deployments.some((o) => o.id === d.id && o.modelGroup !== d.id))
      continue;
    const list = groups.get(d.modelGroup) ?? [];
    list.push(d);
    groups.set(d.modelGroup, list);
  }
  // Geographies some customer may be pinned to: every one a deployment serves, and the default.
  const pinned = new Set<Geography>();
  for (const d of config.deployments) if (d.geography) pinned.add(d.geography);
  if (config.general.defaultEndUserRegion) pinned.add(config.general.defaultEndUserRegion);

  const warnings = [...config.warnings];
  for (const [group, ds] of groups) {
    lines.push(`model group "${group}" (${ds.length} deployment${ds.length === 1 ? "" : "s"})`);
    const byGeo = new Map<string, Deployment[]>();
    for (const d of ds) {
      const key = d.geography ?? "unassigned";
      byGeo.set(key, [...(byGeo.get(key) ?? []), d]);
    }
    const order = [...byGeo.keys()].sort((a, b) =>
      a === "unassigned" ? 1 : b === "unassigned" ? -1 : a.localeCompare(b),
    );
    for (const geo of order) {
      lines.push(`  ${geo === "unassigned" ? "unassigned (never serves a region-pinned customer)" : geo}:`);
      for (const d of byGeo.get(geo) ?? [])
        lines.push(`    ${d.id}  ${d.provider}/${d.upstreamModel}  ${d.evidence ?? d.regionSource}`);
    }
    const missing = [...pinned].filter((g) => !byGeo.has(g)).sort();
    if (missing.length > 0) {
      const fallbacks = config.router.fallbacks.get(group) ?? [];
      const via = fallbacks.length > 0 ? ` except through its fallbacks (${fallbacks.join(", ")})` : "";
      warnings.push(
        `model group "${group}": a customer pinned to ${missing.join(" or ")} could never use it${via}; it has ${order.join(", ")} deployments only`,
      );
    }
  }
  const unassigned = config.deployments.filter((d) => d.geography === undefined && groups.has(d.modelGroup));
  lines.push(
    "",
    `${config.deployments.length - countFallbackCopies(config)} deployments in ${groups.size} model groups; ${unassigned.length} unassigned; pinned geographies in use: ${[...pinned].sort().join(", ") || "none"}`,
  );
  return { lines, warnings };
}

function countFallbackCopies(config: GatewayConfig): number {
  return config.deployments.filter(
    (d) => d.modelGroup === d.id && config.deployments.some((o) => o.id === d.id && o.modelGroup !== d.id),
  ).length;
}
