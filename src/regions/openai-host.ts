import type { EvidenceInput, ProviderEvidence } from "./evidence.js";
import type { Geography } from "./table.js";

/**
 * OpenAI's data-residency hosts (RESIDENCY.md; OpenAI's data-residency guide lists us/eu/au/in/jp,
 * its Node SDK's `dataResidency` option also ae): the host names the geography of processing.
 */
const REGIONAL: Readonly<Record<string, Geography>> = {
  "eu.api.openai.com": "eu",
  "us.api.openai.com": "us",
  "au.api.openai.com": "au",
  "in.api.openai.com": "in",
  "jp.api.openai.com": "jp",
  "ae.api.openai.com": "ae",
};

/** openai/ deployments: the regional hosts place it, api.openai.com is global, anything else is silent. */
export function openaiRegion(input: EvidenceInput): ProviderEvidence | undefined {
  const host = hostOf(input.apiBase);
  if (host === undefined) return undefined;
  const g = REGIONAL[host];
  if (g)
    return {
      geography: g,
      source: "api_base",
      evidence: `api_base host ${host}: OpenAI keeps processing in ${g} for projects created with ${g} data residency`,
    };
  if (host === "api.openai.com") {
    const evidence =
      "api_base host api.openai.com is OpenAI's global endpoint (no data residency); use https://<geo>.api.openai.com/v1 with a project created with that residency";
    const declared = input.params.region_name;
    if (declared === undefined) return { geography: null, source: "api_base", evidence };
    // LiteLLM configs commonly pin plain OpenAI this way; refusing them would break working setups,
    // so the operator's word stands, with a located warning that it is unproven.
    return {
      geography: undefined,
      source: "api_base",
      evidence,
      warnings: [
        {
          key: ["litellm_params", "region_name"],
          message: `region_name "${String(declared)}" is taken on trust: ${evidence}`,
        },
      ],
    };
  }
  // A self-hosted or compatible server (vLLM, a proxy): its location is the operator's to declare.
  return undefined;
}

export function hostOf(apiBase: string): string | undefined {
  if (!apiBase) return undefined;
  try {
    return new URL(apiBase).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
