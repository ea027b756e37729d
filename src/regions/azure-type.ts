import type { EvidenceInput, ProviderEvidence } from "./evidence.js";
import { azureHostRegion } from "./infer.js";
import { type Geography, geographyOf } from "./table.js";

const TYPE_KEY = ["model_info", "azure_deployment_type"] as const;

type Scope = "regional" | "datazone" | "global";

/** Azure OpenAI deployment types (Azure's "deployment types" page) and where each processes. */
const TYPES: Readonly<Record<string, { name: string; scope: Scope }>> = {
  standard: { name: "Standard", scope: "regional" },
  provisionedmanaged: { name: "ProvisionedManaged", scope: "regional" },
  datazonestandard: { name: "DataZoneStandard", scope: "datazone" },
  datazoneprovisionedmanaged: { name: "DataZoneProvisionedManaged", scope: "datazone" },
  datazonebatch: { name: "DataZoneBatch", scope: "datazone" },
  globalstandard: { name: "GlobalStandard", scope: "global" },
  globalprovisionedmanaged: { name: "GlobalProvisionedManaged", scope: "global" },
  globalbatch: { name: "GlobalBatch", scope: "global" },
  developer: { name: "Developer", scope: "global" },
};
/** Data zones that coincide with one of our geographies; APAC spans several (jp, au, in, kr, sg, ...). */
const DATA_ZONES: readonly Geography[] = ["eu", "us"];

/**
 * azure/ deployments: the inference API does not reveal the deployment type, so the config declares
 * it (`model_info.azure_deployment_type`). Global* may process anywhere; Standard stays in the
 * resource's region; DataZone* inside Microsoft's data zone (EU, US, or APAC — which is no single geography).
 */
export function azureRegion(input: EvidenceInput): ProviderEvidence | undefined {
  const declared = input.modelInfo.azure_deployment_type;
  const hostRegion = azureHostRegion(input.apiBase);
  const hostGeo = hostRegion ? geographyOf(hostRegion) : undefined;
  const fromHost = hostRegion ? `; api_base names region ${hostRegion}` : "";
  if (declared === undefined)
    return {
      geography: undefined,
      source: "azure_deployment_type",
      evidence: "Azure deployment type not declared",
      warnings: [
        {
          key: ["model_info"],
          message:
            "Azure deployment type not declared (model_info.azure_deployment_type: Standard, DataZoneStandard, GlobalStandard, ...): the API does not reveal it, and a Global* deployment may process prompts in any geography; region_name is taken on trust",
        },
      ],
    };
  const type =
    typeof declared === "string" ? TYPES[declared.replace(/[\s_-]/g, "").toLowerCase()] : undefined;
  if (!type)
    return {
      geography: undefined,
      source: "azure_deployment_type",
      evidence: "unknown Azure deployment type",
      contradiction: {
        key: TYPE_KEY,
        message: `unknown Azure deployment type "${String(declared)}" (known: ${Object.values(TYPES)
          .map((t) => t.name)
          .join(", ")})`,
      },
    };
  const said = `azure_deployment_type: ${type.name}`;
  if (type.scope === "global")
    return {
      geography: null,
      source: "azure_deployment_type",
      evidence: `${said}: Azure may process the prompt in any geography where the model is deployed`,
    };
  if (type.scope === "datazone") {
    const zone = hostGeo ?? geographyOf(String(input.params.region_name ?? ""));
    if (zone !== undefined && !DATA_ZONES.includes(zone))
      return {
        geography: null,
        source: "azure_deployment_type",
        evidence: `${said}: processed anywhere in the data zone of a resource in ${zone}, which is wider than ${zone}${fromHost}`,
      };
    return {
      geography: hostGeo,
      source: hostGeo ? "azure_host" : "azure_deployment_type",
      evidence: `${said}: processed inside the resource's data zone (EU or US)${fromHost}`,
    };
  }
  return {
    geography: hostGeo,
    source: hostGeo ? "azure_host" : "azure_deployment_type",
    evidence: `${said}: processed in the resource's region${fromHost}`,
  };
}
