import { createHash } from "node:crypto";
import { checkVertexDeployment } from "../providers/vertex/config-check.js";
import { GEMINI_API_BASE, vertexApiBase, vertexLocationOf } from "../providers/vertex/hosts.js";
import { resolveResidency } from "../regions/resolve.js";
import { listGeographies } from "../regions/table.js";
import type { Deployment, ProviderName } from "../router/deployment.js";
import type { Problem } from "./problem.js";
import { pickRequestDefaults } from "./request-defaults.js";
import { KNOWN_MODES, type ModelEntry } from "./schema.js";

/** One `model_list` entry -> a Deployment ready to serve, or a located problem or notice. */

export const SUPPORTED: Record<string, ProviderName> = {
  openai: "openai",
  azure: "azure",
  // openai-compatible servers LiteLLM configs commonly name this way
  hosted_vllm: "openai",
  openai_compatible: "openai",
  custom_openai: "openai",
  "text-completion-openai": "openai",
  anthropic: "anthropic",
  vertex_ai: "vertex_ai",
  gemini: "gemini",
};

const DEFAULT_OPENAI_BASE = "https://api.openai.com/v1";
/** Where a provider is reached when api_base is not set (OpenAI's for every OpenAI-compatible prefix). */
const DEFAULT_BASE: Readonly<Partial<Record<ProviderName, string>>> = {
  anthropic: "https://api.anthropic.com",
  gemini: GEMINI_API_BASE,
};
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

export function buildDeployment(
  entry: ModelEntry,
  i: number,
  timeoutS: number,
  routerStreamS: number | undefined,
  problems: Problem[],
  notices: Problem[],
  extraProviders: readonly string[] = [],
): Deployment | undefined {
  const p = entry.litellm_params;
  const at = (key: string): Problem["path"] => ["model_list", i, "litellm_params", key];
  const slash = p.model.indexOf("/");
  const prefix = slash > 0 ? p.model.slice(0, slash) : "openai";
  const upstreamModel = slash > 0 ? p.model.slice(slash + 1) : p.model;
  const provider: Deployment["provider"] | undefined =
    SUPPORTED[prefix] ?? (extraProviders.includes(prefix) ? prefix : undefined);
  if (!provider) {
    // Not the operator's mistake but our limit: serve the rest of a real LiteLLM config, say so loudly.
    notices.push({
      path: at("model"),
      message: `provider "${prefix}" is not supported yet (supported: ${Object.keys(SUPPORTED).join(", ")}); this deployment is skipped`,
    });
    return undefined;
  }
  const apiBaseRaw = p.api_base ?? p.base_url;
  if (provider === "vertex_ai") {
    const v = checkVertexDeployment({ ...p, upstreamModel });
    if (!v.ok) {
      (v.skip ? notices : problems).push({ path: at(v.key), message: v.message });
      return undefined;
    }
  }
  if (provider === "azure" && upstreamModel.includes("*")) {
    problems.push({
      path: at("model"),
      message: "wildcards are not supported for azure (the deployment name is part of the URL)",
    });
    return undefined;
  }
  if (provider === "azure" && !apiBaseRaw && p.mock_response === undefined) {
    problems.push({
      path: at("api_base"),
      message:
        "azure deployments need api_base (https://<resource>.openai.azure.com), here or in the environment variable AZURE_API_BASE",
    });
    return undefined;
  }
  const vertexLocation = provider === "vertex_ai" ? vertexLocationOf(p.vertex_location) : undefined;
  const defaultBase = vertexLocation
    ? vertexApiBase(vertexLocation)
    : (DEFAULT_BASE[provider as ProviderName] ?? DEFAULT_OPENAI_BASE);
  const apiBase = p.mock_response !== undefined && !apiBaseRaw ? "" : (apiBaseRaw ?? defaultBase);
  const info = entry.model_info ?? {};
  const region = resolveResidency({
    provider,
    upstreamModel,
    apiBase,
    params: p,
    modelInfo: info,
  });
  const entryPath = (key: readonly string[]): Problem["path"] => ["model_list", i, ...key];
  for (const w of region.warnings) notices.push({ path: entryPath(w.key), message: w.message });
  if (!region.ok) {
    const unknown = region.problem.message.startsWith("unknown region");
    problems.push({
      path: entryPath(region.problem.key),
      message: unknown
        ? `${region.problem.message}: use a geography (${listGeographies().join(", ")}) or a cloud region name such as westeurope, eu-central-1, europe-west4 (README "Regions")`
        : region.problem.message,
    });
    return undefined;
  }
  const id = info.id ?? stableId(entry);
  if (info.mode !== undefined && !(KNOWN_MODES as readonly string[]).includes(info.mode))
    notices.push({
      path: ["model_list", i, "model_info", "mode"],
      message: `mode "${info.mode}" is not one LiteLLM knows (${KNOWN_MODES.join(", ")}); kept as written`,
    });
  return {
    id,
    modelGroup: entry.model_name,
    provider,
    upstreamModel,
    apiBase,
    apiKey: p.api_key,
    apiVersion: provider === "azure" ? (p.api_version ?? DEFAULT_AZURE_API_VERSION) : p.api_version,
    regionName: region.raw,
    geography: region.geography,
    regionSource: region.source,
    evidence: region.evidence,
    rpm: p.rpm ?? entry.rpm,
    tpm: p.tpm ?? entry.tpm,
    weight: p.weight,
    order: p.order,
    timeoutMs: (p.timeout ?? timeoutS) * 1000,
    // An explicit stream_timeout (deployment, then router) beats a plain timeout.
    streamTimeoutMs: (p.stream_timeout ?? routerStreamS ?? p.timeout ?? timeoutS) * 1000,
    maxRetries: p.max_retries,
    mockResponse: p.mock_response,
    mode: info.mode,
    maxInputTokens: info.max_input_tokens ?? info.max_tokens,
    maxOutputTokens: info.max_output_tokens,
    accessGroups: info.access_groups ?? [],
    inputCostPerToken: info.input_cost_per_token ?? p.input_cost_per_token,
    outputCostPerToken: info.output_cost_per_token ?? p.output_cost_per_token,
    extraHeaders: p.extra_headers ?? {},
    requestDefaults: pickRequestDefaults(p),
    ...(vertexLocation
      ? {
          vertex: {
            project: p.vertex_project,
            location: vertexLocation,
            credentials: p.vertex_credentials,
          },
        }
      : {}),
    providerParams: withoutKey(p),
  };
}

function withoutKey(p: ModelEntry["litellm_params"]): Record<string, unknown> {
  const { api_key: _secret, ...rest } = p;
  return rest;
}

/** Same entry, same id across restarts; hashed from the config as written, so no secret leaks into it. */
function stableId(entry: ModelEntry): string {
  const { api_key: _secret, ...params } = entry.litellm_params;
  const basis = JSON.stringify([entry.model_name, params]);
  return createHash("sha256").update(basis).digest("hex").slice(0, 16);
}
