import type { Geography } from "./table.js";

/**
 * The residency evidence framework: what a deployment's own settings prove about where the provider
 * processes a prompt. Each provider may have a rule (rules.ts, one line each) that reads the
 * deployment as configured and says what the provider's facts imply (RESIDENCY.md); resolve.ts
 * weighs that against the operator's `region_name`.
 */

/** A key inside one model_list entry, e.g. ["litellm_params", "region_name"]. */
export type EntryKey = readonly [string, ...string[]];

/** A message about one key of the entry; the config loader adds file and line. */
export interface Located {
  key: EntryKey;
  message: string;
}

/** What a rule reads: the deployment as configured, after env fallbacks and credentials. */
export interface EvidenceInput {
  /** Provider key (openai, azure, anthropic, ...). */
  provider: string;
  /** Model after the provider prefix (a Bedrock profile id, an Azure deployment name, ...). */
  upstreamModel: string;
  /** api_base as it will be used; "" for mock deployments. */
  apiBase: string;
  /** litellm_params as parsed (provider-specific keys must be in config/schema.ts to arrive here). */
  params: Readonly<Record<string, unknown>>;
  /** model_info as parsed. */
  modelInfo: Readonly<Record<string, unknown>>;
}

/**
 * A provider's facts about one deployment.
 * - geography: the provider processes it in that geography;
 * - null: the provider may process it anywhere (a `global` option): never in-region, and a
 *   `region_name` on it is a contradiction that stops startup;
 * - undefined: the settings prove nothing either way (a self-hosted base URL, an undeclared Azure
 *   deployment type): the operator's `region_name` decides.
 */
export interface ProviderEvidence {
  geography: Geography | null | undefined;
  /** Why, in words an operator can check against the provider's docs. */
  evidence: string;
  /** The key the evidence was read from (api_base, inference_geo, model, vertex_location, ...). */
  source: string;
  /** A setting the rule itself refuses (an unknown deployment type, a global profile with a region). */
  contradiction?: Located;
  warnings?: readonly Located[];
}

/** A provider's inference: pure, no I/O; undefined when it has nothing to say about this deployment. */
export type RegionRule = (input: EvidenceInput) => ProviderEvidence | undefined;
