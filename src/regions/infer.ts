import { type Geography, geographyOf, isCloudRegion } from "./table.js";

export type RegionSource =
  | "region_name"
  | "aws_region_name"
  | "vertex_location"
  | "azure_host"
  | "unassigned";

export interface RegionInput {
  region_name?: string;
  aws_region_name?: string;
  vertex_location?: string;
  api_base?: string;
  provider: string;
}

export type RegionResult =
  | { ok: true; geography: Geography | undefined; source: RegionSource; raw: string | undefined }
  | { ok: false; key: "region_name"; message: string };

/**
 * Where a deployment's data is processed. An explicit `region_name` must be known; otherwise we infer
 * from provider parameters that name a cloud region, and otherwise the deployment is unassigned
 * (it then never serves a region-pinned customer).
 */
export function resolveDeploymentRegion(p: RegionInput): RegionResult {
  if (p.region_name !== undefined) {
    const g = geographyOf(p.region_name);
    if (!g) return { ok: false, key: "region_name", message: `unknown region "${p.region_name}"` };
    return { ok: true, geography: g, source: "region_name", raw: p.region_name };
  }
  if (p.aws_region_name) {
    const g = geographyOf(p.aws_region_name);
    if (g) return { ok: true, geography: g, source: "aws_region_name", raw: p.aws_region_name };
  }
  if (p.vertex_location) {
    const g = geographyOf(p.vertex_location);
    if (g) return { ok: true, geography: g, source: "vertex_location", raw: p.vertex_location };
  }
  if (p.provider === "azure" && p.api_base) {
    const region = azureHostRegion(p.api_base);
    if (region) return { ok: true, geography: geographyOf(region), source: "azure_host", raw: region };
  }
  return { ok: true, geography: undefined, source: "unassigned", raw: undefined };
}

/**
 * Azure hosts that carry their region as a DNS label, e.g. `westeurope.api.cognitive.microsoft.com`
 * or `my-model.swedencentral.inference.ai.azure.com`. Custom subdomains such as
 * `my-endpoint-europe.openai.azure.com` say nothing reliable and are not guessed from.
 */
export function azureHostRegion(apiBase: string): string | undefined {
  let host: string;
  try {
    host = new URL(apiBase).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  for (const label of host.split(".")) {
    // Geography codes ("eu", "us") as bare labels are too ambiguous; only cloud region names count.
    if (isCloudRegion(label)) return label;
  }
  return undefined;
}
