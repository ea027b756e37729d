import type { EvidenceInput, Located, ProviderEvidence, RegionRule } from "./evidence.js";
import { resolveDeploymentRegion } from "./infer.js";
import { REGION_RULES } from "./rules.js";
import { type Geography, geographyOf } from "./table.js";

/** Where a deployment is processed, and why we believe it. */
export interface Residency {
  /** undefined = unassigned: never serves a region-pinned customer. */
  geography: Geography | undefined;
  /** The key the geography was read from (region_name, api_base, inference_geo, ...), or "unassigned". */
  source: string;
  /** Raw region string: region_name as written, or the cloud region / code it was inferred from. */
  raw: string | undefined;
  /** Human-readable evidence, shown by /model/info and `meridian check`. */
  evidence: string;
}

export type ResidencyResult =
  | ({ ok: true; warnings: Located[] } & Residency)
  | { ok: false; problem: Located; warnings: Located[] };

const REGION_NAME = ["litellm_params", "region_name"] as const;

/**
 * The provider's facts (its rule) first, then the operator's `region_name`, then the generic
 * inference of regions/infer.ts. A `region_name` the facts contradict is refused: the
 * deployment would otherwise serve pinned customers from where it does not process.
 */
export function resolveResidency(
  input: EvidenceInput,
  rules: Readonly<Record<string, RegionRule>> = REGION_RULES,
): ResidencyResult {
  const mock = input.params.mock_response !== undefined;
  // A mock deployment sends nothing anywhere: only the operator's word applies.
  const facts: ProviderEvidence | undefined = mock ? undefined : rules[input.provider]?.(input);
  const warnings = [...(facts?.warnings ?? [])];
  const fail = (problem: Located): ResidencyResult => ({ ok: false, problem, warnings });
  const ok = (r: Residency): ResidencyResult => ({ ok: true, warnings, ...r });
  if (facts?.contradiction) return fail(facts.contradiction);

  const declared = typeof input.params.region_name === "string" ? input.params.region_name : undefined;
  if (declared !== undefined) {
    const g = geographyOf(declared);
    if (!g) return fail({ key: REGION_NAME, message: `unknown region "${declared}"` });
    if (facts?.geography === null)
      return fail({
        key: REGION_NAME,
        message: `region_name "${declared}" contradicts the deployment's own settings: ${facts.evidence}`,
      });
    if (facts?.geography && facts.geography !== g)
      return fail({
        key: REGION_NAME,
        message: `region_name "${declared}" (${g}) contradicts the deployment's own settings, which place it in ${facts.geography}: ${facts.evidence}`,
      });
    if (facts?.geography)
      return ok({
        geography: g,
        source: facts.source,
        raw: declared,
        evidence: `${facts.evidence}; agrees with region_name: ${declared}`,
      });
    const why = mock ? "mock_response: answered by the gateway, nothing is sent upstream" : facts?.evidence;
    return ok({
      geography: g,
      source: "region_name",
      raw: declared,
      evidence: `region_name: ${declared}, as declared in config${why ? ` (${why})` : ""}`,
    });
  }
  if (facts && facts.geography !== undefined)
    return ok({
      geography: facts.geography ?? undefined,
      source: facts.source,
      raw: facts.geography ?? undefined,
      evidence: facts.evidence,
    });

  const generic = resolveDeploymentRegion({
    provider: input.provider,
    api_base: input.apiBase,
    aws_region_name: str(input.params.aws_region_name),
    vertex_location: str(input.params.vertex_location),
  });
  const found =
    generic.ok && generic.geography
      ? `${generic.source}: ${generic.raw}, a cloud region in ${generic.geography}`
      : "unassigned: no region_name, and nothing in its settings names a region";
  const geography = generic.ok ? generic.geography : undefined;
  return ok({
    geography,
    source: generic.ok ? generic.source : "unassigned",
    raw: generic.ok ? generic.raw : undefined,
    evidence: facts ? `${facts.evidence}; ${found}` : found,
  });
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
