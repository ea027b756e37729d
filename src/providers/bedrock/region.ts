import type { EvidenceInput, Located, ProviderEvidence } from "../../regions/evidence.js";
import { type Geography, geographyOf } from "../../regions/table.js";

/**
 * Where a Bedrock deployment really processes a request (RESIDENCY.md): the model id decides first.
 * A cross-region inference profile (`eu.anthropic.…`) keeps processing inside its geography whatever
 * region it is called from; `global.` routes to any commercial region. A plain model id is served
 * in the region it is called in (aws_region_name, or the region of its ARN). Pure: the deployment's
 * settings in, the provider's facts out; resolve.ts weighs them against region_name (a region_name
 * on a `global.` profile, or one that names another geography, stops startup).
 */

/**
 * System-defined inference profile prefixes and where they keep processing. `apac.` spans several
 * countries (Tokyo, Seoul, Mumbai, Singapore, Sydney…): none of Meridian's geographies holds it all.
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
  return /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):/.exec(id)?.[1];
}

/** The inference profile prefix of a model id (`eu`, `global` …), if it is a system-defined profile. */
export function profilePrefix(model: string): string | undefined {
  const id = modelIdOf(model);
  const resource = arnRegion(id) !== undefined ? id.slice(id.indexOf("/") + 1) : id;
  const dot = resource.indexOf(".");
  const prefix = dot > 0 ? resource.slice(0, dot) : "";
  return Object.hasOwn(PROFILE_PREFIXES, prefix) ? prefix : undefined;
}

const AWS_REGION = ["litellm_params", "aws_region_name"] as const;

export function bedrockRegion(input: EvidenceInput): ProviderEvidence {
  const id = modelIdOf(input.upstreamModel);
  const arnAt = arnRegion(id);
  const called = typeof input.params.aws_region_name === "string" ? input.params.aws_region_name : undefined;
  if (arnAt !== undefined && id.split(":")[5]?.startsWith("application-inference-profile/"))
    return {
      geography: undefined,
      source: "model",
      evidence: "an application inference profile ARN: where it routes is not visible in the id",
    };
  const prefix = profilePrefix(id);
  if (prefix !== undefined) {
    const g = PROFILE_PREFIXES[prefix] ?? null;
    if (g === null)
      return {
        geography: null,
        source: "model",
        evidence:
          prefix === "global"
            ? `inference profile "global." routes to any commercial AWS region, whichever region it is called from`
            : `inference profile "${prefix}." routes across several countries`,
      };
    const from = arnAt ?? called;
    const fromGeo = from ? geographyOf(from) : undefined;
    // AWS only offers a geography's profile from source regions inside it; say so before the first 400.
    const warnings: Located[] =
      from && fromGeo && fromGeo !== g
        ? [
            {
              key: AWS_REGION,
              message: `inference profile "${prefix}." is called from ${from} (${fromGeo}); Bedrock offers it only from ${g} regions`,
            },
          ]
        : [];
    return {
      geography: g,
      source: "model",
      evidence: `inference profile "${prefix}." keeps processing in ${g} regions`,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
  const region = arnAt ?? called;
  const g = region ? geographyOf(region) : undefined;
  if (region && g)
    return {
      geography: g,
      source: arnAt ? "model" : "aws_region_name",
      evidence: `model served in ${region}, ${arnAt ? "the region of its ARN" : "its aws_region_name"} (${g})`,
    };
  return {
    geography: undefined,
    source: "model",
    evidence: region
      ? `region "${region}" is not in Meridian's region table`
      : "a model id without an inference profile, and no aws_region_name (LiteLLM then calls us-west-2)",
  };
}
