import type { Geography } from "../regions/table.js";

export type Operation = "chat" | "completions" | "embeddings";
/** The built-in providers. */
export type ProviderName = "openai" | "azure" | "anthropic" | "vertex_ai" | "gemini";

/** One entry of `model_list`, resolved and ready to serve. Immutable after startup. */
export interface Deployment {
  /** model_info.id, or a stable hash of the entry. */
  readonly id: string;
  /** model_name: the group clients ask for. */
  readonly modelGroup: string;
  /**
   * Key of the provider that serves it: a built-in one, or one registered with build() beside them
   * (its prefix named to the config loader with `extraProviders`).
   */
  readonly provider: ProviderName | (string & {});
  /** Model (Azure: deployment) name sent upstream, without the provider prefix. */
  readonly upstreamModel: string;
  /** As configured, reported in x-litellm-api-base. Empty for mock deployments. */
  readonly apiBase: string;
  readonly apiKey: string | undefined;
  readonly apiVersion: string | undefined;
  /** Raw region string (region_name or the inferred cloud region). */
  readonly regionName: string | undefined;
  /** undefined = unassigned: never serves a region-pinned customer. */
  readonly geography: Geography | undefined;
  /** The key the geography was read from (region_name, api_base, inference_geo, ...), or "unassigned". */
  readonly regionSource: string;
  /** Why we believe the geography (regions/resolve.ts); shown by /model/info and `meridian check`. */
  readonly evidence?: string;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly weight: number | undefined;
  readonly order: number | undefined;
  readonly timeoutMs: number;
  readonly streamTimeoutMs: number;
  readonly maxRetries: number | undefined;
  readonly mockResponse: string | Record<string, unknown> | undefined;
  /** model_info.mode as written (chat, embedding, image_generation, ...); informational. */
  readonly mode: string | undefined;
  /** model_info limits, reported by /model_group/info and /v2/model/info. */
  readonly maxInputTokens?: number;
  readonly maxOutputTokens?: number;
  /** model_info.access_groups: names /models?only_model_access_groups=true lists. */
  readonly accessGroups?: readonly string[];
  readonly inputCostPerToken: number | undefined;
  readonly outputCostPerToken: number | undefined;
  readonly extraHeaders: Readonly<Record<string, string>>;
  /**
   * Request parameters from litellm_params (temperature, max_tokens, seed, ...) sent when the
   * client does not set its own; undefined when the deployment has none.
   */
  readonly requestDefaults?: Readonly<Record<string, unknown>> | undefined;
  /** vertex_ai/: project, location (as requests use it) and service-account credentials (path or JSON). */
  readonly vertex?: {
    readonly project: string | undefined;
    readonly location: string;
    readonly credentials: string | undefined;
  };
  /**
   * litellm_params as configured, minus api_key: provider-specific settings (Anthropic's
   * inference_geo, ...) that a translating provider reads in prepare().
   */
  readonly providerParams?: Readonly<Record<string, unknown>>;
}

/** Public view for /model/info: never includes the api key. */
export function describeDeployment(d: Deployment): Record<string, unknown> {
  return {
    model_name: d.modelGroup,
    litellm_params: {
      model: `${d.provider}/${d.upstreamModel}`,
      api_base: publicApiBase(d.apiBase) ?? null,
      api_version: d.apiVersion ?? null,
      region_name: d.regionName ?? null,
      rpm: d.rpm ?? null,
      tpm: d.tpm ?? null,
      order: d.order ?? null,
    },
    model_info: {
      id: d.id,
      mode: d.mode ?? null,
      provider: d.provider,
      geography: d.geography ?? null,
      region_source: d.regionSource,
      evidence: d.evidence ?? null,
      input_cost_per_token: d.inputCostPerToken ?? null,
      output_cost_per_token: d.outputCostPerToken ?? null,
    },
  };
}

/**
 * The form of an api_base that may leave the gateway (response headers, /model/info, logs): no user
 * info, no query, no fragment, since operators put credentials there (`https://user:pw@host`,
 * Azure Functions' `?code=…`). Otherwise as configured, trailing slash and all, so clients comparing
 * x-litellm-api-base with their config still match. undefined when nothing safe can be shown.
 */
export function publicApiBase(apiBase: string): string | undefined {
  if (!apiBase) return undefined;
  let s = apiBase.trim();
  const cut = s.search(/[?#]/);
  if (cut >= 0) s = s.slice(0, cut);
  const scheme = s.indexOf("://");
  if (scheme >= 0) {
    const start = scheme + 3;
    const end = s.slice(start).search(/[/\\]/);
    const authorityEnd = end < 0 ? s.length : start + end;
    const at = s.lastIndexOf("@", authorityEnd - 1);
    if (at >= start) s = s.slice(0, start) + s.slice(at + 1);
  }
  // whatever the string tricks missed, the URL parser must agree nothing secret is left
  try {
    const u = new URL(s);
    if (u.username || u.password || u.search || u.hash) return undefined;
  } catch {
    return undefined;
  }
  return s;
}
