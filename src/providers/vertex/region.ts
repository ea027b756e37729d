import type { EvidenceInput, ProviderEvidence } from "../../regions/evidence.js";
import { type Geography, geographyOf, isCloudRegion } from "../../regions/table.js";

/** The litellm_params that decide where a Vertex AI or Gemini API deployment processes a prompt. */
export interface VertexRegionParams {
  /** `vertex_ai` (Vertex AI, Google Cloud) or `gemini` (Google AI Studio). */
  readonly provider: string;
  readonly vertex_location?: string;
  readonly region_name?: string;
}

export interface VertexRegion {
  /** null: unassigned, it never serves a region-pinned customer. */
  readonly geography: Geography | null;
  /** The location requests really go to (undefined for AI Studio). */
  readonly location: string | undefined;
  /** Why, in words an operator can check against the provider's documentation. */
  readonly evidence: string;
  /** A region_name the evidence refutes: startup must stop, this says why. */
  readonly contradiction?: string;
}

/** LiteLLM's location when vertex_location (and VERTEXAI_LOCATION) is unset. */
export const DEFAULT_VERTEX_LOCATION = "us-central1";

/**
 * Regional endpoints Google's data-residency page does not list for ML processing ("such as those in
 * the Middle East, there is no guarantee that ML processing occurs at a specific location").
 */
const NO_PROCESSING_GUARANTEE = new Set(["me-central1", "me-central2", "me-west1"]);

/** Vertex's multi-region locations: ML processing stays inside the jurisdiction. */
const MULTI_REGION: Record<string, Geography> = { eu: "eu", us: "us" };

/**
 * Where a `vertex_ai/` or `gemini/` deployment really processes requests (RESIDENCY.md, Google's
 * "Data residency" page for Generative AI on Vertex AI): a regional location keeps ML processing in
 * its jurisdiction, the `eu` / `us` multi-regions in theirs, `global` anywhere; the Gemini API of AI
 * Studio offers no residency at all. A `region_name` may only repeat what the evidence says.
 */
export function inferVertexRegion(p: VertexRegionParams): VertexRegion {
  const inferred = p.provider === "gemini" ? aiStudio() : vertexLocation(p.vertex_location);
  if (p.region_name === undefined) return inferred;
  const claimed = geographyOf(p.region_name);
  if (claimed === undefined) return inferred; // an unknown name is reported by the generic check
  if (inferred.geography !== claimed)
    return {
      ...inferred,
      contradiction: `region_name "${p.region_name}" (${claimed}) contradicts the evidence: ${inferred.evidence}`,
    };
  return inferred;
}

function aiStudio(): VertexRegion {
  return {
    geography: null,
    location: undefined,
    evidence:
      "the Gemini API of Google AI Studio (generativelanguage.googleapis.com) offers no data residency; use vertex_ai/ with an EU location",
  };
}

function vertexLocation(raw: string | undefined): VertexRegion {
  const location = (raw ?? DEFAULT_VERTEX_LOCATION).trim().toLowerCase();
  const how =
    raw === undefined
      ? `vertex_location unset: LiteLLM's default ${location}`
      : `vertex_location ${location}`;
  if (location === "global")
    return {
      geography: null,
      location,
      evidence: `${how}: the global endpoint gives no residency guarantee (processed in any region)`,
    };
  if (NO_PROCESSING_GUARANTEE.has(location))
    return {
      geography: null,
      location,
      evidence: `${how}: Google gives no guarantee that ML processing stays in this region`,
    };
  const multi = MULTI_REGION[location];
  if (multi)
    return {
      geography: multi,
      location,
      evidence: `${how}: the ${location} multi-region keeps ML processing inside ${multi}`,
    };
  const g = isCloudRegion(location) ? geographyOf(location) : undefined;
  if (g) return { geography: g, location, evidence: `${how}: a regional endpoint, processed in ${g}` };
  return {
    geography: null,
    location,
    evidence: `${how}: not a Google Cloud region this gateway knows, so no residency is assumed`,
  };
}

/**
 * The residency framework's rule (regions/rules.ts) for `vertex_ai/` and `gemini/`: the facts of
 * inferVertexRegion; an unknown location proves nothing (the operator's region_name, if any, decides,
 * as for a new Google region this table does not list yet). The framework judges region_name.
 */
export function vertexRegion(input: EvidenceInput): ProviderEvidence {
  const loc = input.params.vertex_location;
  const r = inferVertexRegion({
    provider: input.provider,
    vertex_location: typeof loc === "string" ? loc : undefined,
  });
  const known =
    r.geography !== null ||
    r.location === "global" ||
    NO_PROCESSING_GUARANTEE.has(r.location ?? "") ||
    input.provider === "gemini";
  const out: ProviderEvidence = {
    geography: known ? r.geography : undefined,
    source: input.provider === "gemini" ? "api_base" : "vertex_location",
    evidence: r.evidence,
  };
  const hostLocation = input.provider === "vertex_ai" ? googleHostLocation(input.apiBase) : undefined;
  if (hostLocation !== undefined && hostLocation !== r.location)
    return {
      ...out,
      contradiction: {
        key: ["litellm_params", "api_base"],
        message: `api_base ${input.apiBase} is Vertex AI's ${hostLocation} endpoint, but vertex_location is ${r.location}: requests would be processed where the host is`,
      },
    };
  return out;
}

/** The location a Google Vertex AI host serves; undefined for any other host (a proxy, a test). */
export function googleHostLocation(apiBase: string): string | undefined {
  let host: string;
  try {
    host = new URL(apiBase).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host === "aiplatform.googleapis.com") return "global";
  const rep = /^aiplatform\.([a-z0-9-]+)\.rep\.googleapis\.com$/.exec(host);
  if (rep) return rep[1];
  return /^([a-z0-9-]+)-aiplatform\.googleapis\.com$/.exec(host)?.[1];
}
