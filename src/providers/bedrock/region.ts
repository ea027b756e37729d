import { type Geography, geographyOf } from "../../regions/table.js";

/**
 * Where a Bedrock deployment really processes a request (RESIDENCY.md): the model id decides first.
 * A cross-region inference profile (`eu.anthropic.…`) keeps processing inside its geography whatever
 * region it is called from; `global.` routes to any commercial region. A plain model id is served
 * in the region it is called in. Pure: litellm_params in, geography and the evidence for it out.
 */
export interface BedrockRegionInput {
  /** The model id after `bedrock/`: a model id, a profile id, or an ARN (maybe with a route prefix). */
  readonly model: string;
  readonly aws_region_name?: string;
  readonly region_name?: string;
}

export interface BedrockRegion {
  /** null: unassigned, never serves a region-pinned customer. */
  readonly geography: Geography | null;
  readonly evidence: string;
  readonly source: "bedrock_profile" | "aws_region_name" | "region_name" | "unassigned";
  /** The cloud region called (aws_region_name or the ARN's), or region_name when that decided. */
  readonly raw: string | undefined;
  /** The inference profile prefix of the model id (`eu.`, `global.` …), if it has one. */
  readonly profile?: string;
  /** region_name says something the model id or region refutes: a startup error. */
  readonly contradiction?: string;
}

/**
 * System-defined inference profile prefixes and where they keep processing. `apac.` spans several
 * countries (Tokyo, Seoul, Mumbai, Singapore, Sydney…), none of Meridian's geographies holds it all.
 */
const PROFILE_PREFIXES: Readonly<Record<string, Geography | null>> = {
  eu: "eu",
  us: "us",
  "us-gov": "us",
  jp: "jp",
  au: "au",
  ca: "ca",
  apac: null,
  global: null,
};

/** LiteLLM routes some Bedrock models by a path-like prefix (`converse/…`, `invoke/…`); not part of the id. */
const ROUTE_PREFIX =
  /^(converse|invoke|converse_like|llama|deepseek_r1|nova|openai|qwen2|qwen3|twelvelabs)\//;

export function modelIdOf(model: string): string {
  return model.replace(ROUTE_PREFIX, "");
}

/** The region field of a Bedrock ARN, or undefined when `id` is not an ARN. */
export function arnRegion(id: string): string | undefined {
  const m = /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):/.exec(id);
  return m?.[1];
}

/** What the model id alone says, before region_name is compared with it. */
function fromModel(input: BedrockRegionInput): BedrockRegion {
  const id = modelIdOf(input.model);
  const arnAt = arnRegion(id);
  // An ARN's resource: foundation-model/<id>, inference-profile/<profile id>, application-inference-profile/<opaque>.
  const resource = arnAt !== undefined ? id.slice(id.indexOf("/") + 1) : id;
  const kind = arnAt !== undefined ? id.split(":")[5]?.split("/")[0] : undefined;
  if (kind === "application-inference-profile")
    return {
      geography: null,
      evidence: `application inference profile ARN: its routing is not visible in the id`,
      source: "unassigned",
      raw: undefined,
    };
  const dot = resource.indexOf(".");
  const prefix = dot > 0 ? resource.slice(0, dot) : "";
  if (Object.hasOwn(PROFILE_PREFIXES, prefix)) {
    const g = PROFILE_PREFIXES[prefix];
    return g
      ? {
          geography: g,
          evidence: `inference profile "${prefix}." keeps processing in ${g} regions`,
          source: "bedrock_profile",
          raw: arnAt ?? input.aws_region_name,
          profile: `${prefix}.`,
        }
      : {
          geography: null,
          evidence:
            prefix === "global"
              ? `inference profile "global." routes to any commercial AWS region`
              : `inference profile "${prefix}." routes across several countries`,
          source: "unassigned",
          raw: arnAt ?? input.aws_region_name,
          profile: `${prefix}.`,
        };
  }
  const region = arnAt ?? input.aws_region_name;
  if (region) {
    const g = geographyOf(region);
    if (g)
      return {
        geography: g,
        evidence: `model served in ${region} (${arnAt ? "the ARN's region" : "aws_region_name"})`,
        source: "aws_region_name",
        raw: region,
      };
    return {
      geography: null,
      evidence: `region "${region}" is not in Meridian's region table`,
      source: "unassigned",
      raw: region,
    };
  }
  return {
    geography: null,
    evidence: "no aws_region_name and no inference profile",
    source: "unassigned",
    raw: undefined,
  };
}

export function bedrockRegion(input: BedrockRegionInput): BedrockRegion {
  const inferred = fromModel(input);
  if (input.region_name === undefined) return inferred;
  const declared = geographyOf(input.region_name);
  if (!declared) return inferred; // an unknown region_name is refused by the generic check
  const refuted =
    inferred.geography !== null ? inferred.geography !== declared : inferred.profile !== undefined; // global. / apac.: processed outside any one geography
  if (refuted)
    return {
      ...inferred,
      contradiction: `region_name "${input.region_name}" contradicts the model: ${inferred.evidence}`,
    };
  if (inferred.geography !== null) return inferred;
  return {
    geography: declared,
    evidence: `declared by region_name "${input.region_name}" (${inferred.evidence})`,
    source: "region_name",
    raw: input.region_name,
  };
}
