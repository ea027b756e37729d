import type { EvidenceInput, ProviderEvidence } from "../../regions/evidence.js";

/**
 * Anthropic API: no EU option. `inference_geo: "us"` keeps inference in the US; the default
 * ("global") may run anywhere. Claude in the EU is Bedrock `eu.` or Vertex EU regions.
 */
export function anthropicRegion(input: EvidenceInput): ProviderEvidence {
  const geo = input.params.inference_geo;
  if (geo === "us")
    return {
      geography: "us",
      source: "inference_geo",
      evidence: "inference_geo: us: Anthropic runs inference only in US-based infrastructure",
    };
  if (geo === undefined || geo === "global")
    return {
      geography: null,
      source: "inference_geo",
      evidence: `inference_geo ${geo === undefined ? "not set (Anthropic's default is global)" : "global"}: inference may run in any geography; for Claude in the EU use Bedrock eu. profiles or Vertex EU regions`,
    };
  return {
    geography: undefined,
    source: "inference_geo",
    evidence: "unknown inference_geo",
    contradiction: {
      key: ["litellm_params", "inference_geo"],
      message: `unknown inference_geo "${String(geo)}" (Anthropic accepts "us" or "global")`,
    },
  };
}
