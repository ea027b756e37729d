import { createHash } from "node:crypto";
import { resolveDeploymentRegion } from "../regions/infer.js";
import { type Geography, geographyOf, listGeographies } from "../regions/table.js";
import type { Deployment, ProviderName } from "../router/deployment.js";
import type { Problem } from "./load.js";
import type { ModelEntry, RawConfig } from "./schema.js";
import { type ServerLimits, serverLimits } from "./server-limits.js";

export type RoutingStrategy =
  | "simple-shuffle"
  | "least-busy"
  | "latency-based-routing"
  | "usage-based-routing-v2"
  | "order";

export interface RetryPolicy {
  BadRequestErrorRetries?: number;
  AuthenticationErrorRetries?: number;
  TimeoutErrorRetries?: number;
  RateLimitErrorRetries?: number;
  ContentPolicyViolationErrorRetries?: number;
  InternalServerErrorRetries?: number;
}

export interface RouterConfig {
  strategy: RoutingStrategy;
  numRetries: number;
  /** Minimum wait before a retry, ms. */
  retryAfterMs: number;
  allowedFails: number;
  cooldownMs: number;
  disableCooldowns: boolean;
  /** Fallback per-request total timeout when a deployment sets none, ms. */
  timeoutMs: number;
  streamTimeoutMs: number;
  fallbacks: ReadonlyMap<string, readonly string[]>;
  defaultFallbacks: readonly string[];
  contextWindowFallbacks: ReadonlyMap<string, readonly string[]>;
  contentPolicyFallbacks: ReadonlyMap<string, readonly string[]>;
  retryPolicy: RetryPolicy;
  /** model_group_alias: alias -> real model group. */
  aliases: ReadonlyMap<string, string>;
  latencyBufferFraction: number;
}

export type EndUserPolicy = "open" | "default_region" | "reject";

export interface GeneralConfig {
  masterKey: string | undefined;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  endUserPolicy: EndUserPolicy;
  defaultEndUserRegion: Geography | undefined;
  customerCacheTtlMs: number;
  maxBodyBytes: number;
  shutdownGraceMs: number;
  server: ServerLimits;
}

export interface GatewayConfig {
  file: string | undefined;
  deployments: Deployment[];
  router: RouterConfig;
  general: GeneralConfig;
  warnings: string[];
}

const SUPPORTED: Record<string, ProviderName> = {
  openai: "openai",
  azure: "azure",
  // openai-compatible servers LiteLLM configs commonly name this way
  hosted_vllm: "openai",
  openai_compatible: "openai",
  custom_openai: "openai",
  "text-completion-openai": "openai",
};

const DEFAULT_OPENAI_BASE = "https://api.openai.com/v1";
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";
const DEFAULT_TIMEOUT_S = 600;

export function normalize(
  raw: RawConfig,
  env: NodeJS.ProcessEnv,
): { config: GatewayConfig; problems: Problem[]; notices: Problem[] } {
  const problems: Problem[] = [];
  const notices: Problem[] = [];
  const warnings: string[] = [];
  const rs = raw.router_settings;
  const ls = raw.litellm_settings;
  const gs = raw.general_settings;

  const timeoutS = rs.timeout ?? ls.request_timeout ?? DEFAULT_TIMEOUT_S;
  const streamTimeoutS = rs.stream_timeout ?? timeoutS;

  const deployments: Deployment[] = [];
  const entryOf: Array<[number, Deployment]> = [];
  const ids = new Set<string>();
  raw.model_list.forEach((entry, i) => {
    let d = buildDeployment(entry, i, timeoutS, rs.stream_timeout, problems, notices);
    if (!d) return;
    // Two identical entries without model_info.id (e.g. the same endpoint listed twice) stay distinct.
    if (ids.has(d.id) && entry.model_info?.id === undefined) d = { ...d, id: `${d.id}-${i}` };
    if (ids.has(d.id)) {
      problems.push({
        path: ["model_list", i, "model_info", "id"],
        message: `duplicate deployment id "${d.id}"`,
      });
      return;
    }
    ids.add(d.id);
    deployments.push(d);
    entryOf.push([i, d]);
  });

  // Residency in use: a deployment left without a region is probably a mistake worth a word.
  if (deployments.some((d) => d.geography !== undefined)) {
    for (const [i, d] of entryOf) {
      if (d.geography !== undefined || d.mockResponse !== undefined) continue;
      notices.push({
        path: ["model_list", i, "litellm_params"],
        message: `deployment "${d.id}" has no region (none set, none inferable): it never serves region-pinned customers; set region_name`,
      });
    }
  }
  const groups = new Set(deployments.map((d) => d.modelGroup));
  // Listed, but every deployment was skipped (unsupported provider): references to it are dropped, not fatal.
  const listed = new Set(raw.model_list.map((e) => e.model_name));
  // router_settings wins over litellm_settings (both are LiteLLM's places for these lists).
  type FallbackKey = "fallbacks" | "context_window_fallbacks" | "content_policy_fallbacks";
  const fallbackMap = (r: typeof rs, l: typeof ls, key: FallbackKey) => {
    const section = r[key] !== undefined ? "router_settings" : "litellm_settings";
    const list = r[key] ?? l[key];
    const m = new Map<string, string[]>();
    (list ?? []).forEach((item, i) => {
      for (const [from, to] of Object.entries(item)) {
        const kept: string[] = [];
        to.forEach((t, j) => {
          const path = [section, key, i, from, j];
          if (groups.has(t)) kept.push(t);
          else if (listed.has(t))
            notices.push({ path, message: `fallback model "${t}" has no usable deployment; skipped` });
          else problems.push({ path, message: `fallback model "${t}" is not in model_list` });
        });
        m.set(from, kept);
      }
    });
    return m;
  };

  const aliases = new Map<string, string>();
  for (const [alias, target] of Object.entries(rs.model_group_alias ?? {})) {
    const to = typeof target === "string" ? target : target.model;
    if (!groups.has(to) && listed.has(to)) {
      notices.push({
        path: ["router_settings", "model_group_alias", alias],
        message: `alias target "${to}" has no usable deployment; skipped`,
      });
      continue;
    }
    if (!groups.has(to))
      problems.push({
        path: ["router_settings", "model_group_alias", alias],
        message: `alias target "${to}" is not in model_list`,
      });
    aliases.set(alias, to);
  }

  let defaultEndUserRegion: Geography | undefined;
  if (gs.default_end_user_region !== undefined) {
    defaultEndUserRegion = geographyOf(gs.default_end_user_region);
    if (!defaultEndUserRegion)
      problems.push({
        path: ["general_settings", "default_end_user_region"],
        message: `unknown region "${gs.default_end_user_region}"`,
      });
  }
  const endUserPolicy = gs.end_user_policy ?? "open";
  if (
    endUserPolicy === "default_region" &&
    !defaultEndUserRegion &&
    gs.default_end_user_region === undefined
  ) {
    problems.push({
      path: ["general_settings", "default_end_user_region"],
      message: "required when end_user_policy is default_region",
    });
  }

  // An empty variable (`LITELLM_MASTER_KEY= meridian ...`) means unset, as for os.environ/ references.
  const masterKey = gs.master_key ?? (env.LITELLM_MASTER_KEY || env.MERIDIAN_MASTER_KEY || undefined);
  if (masterKey !== undefined && !masterKey.startsWith("sk-")) {
    problems.push({ path: ["general_settings", "master_key"], message: 'master key must start with "sk-"' });
  }
  if (rs.routing_strategy === "usage-based-routing")
    warnings.push('routing_strategy "usage-based-routing" is served by usage-based-routing-v2');

  const redisFromSettings =
    rs.redis_url ??
    (rs.redis_host
      ? `redis://${rs.redis_password ? `:${encodeURIComponent(rs.redis_password)}@` : ""}${rs.redis_host}:${rs.redis_port ?? 6379}`
      : undefined);

  const router: RouterConfig = {
    strategy:
      rs.routing_strategy === "usage-based-routing"
        ? "usage-based-routing-v2"
        : (rs.routing_strategy ?? "simple-shuffle"),
    numRetries: rs.num_retries ?? ls.num_retries ?? 2,
    retryAfterMs: (rs.retry_after ?? 0) * 1000,
    allowedFails: rs.allowed_fails ?? 3,
    cooldownMs: (rs.cooldown_time ?? 5) * 1000,
    disableCooldowns: rs.disable_cooldowns ?? false,
    timeoutMs: timeoutS * 1000,
    streamTimeoutMs: streamTimeoutS * 1000,
    fallbacks: fallbackMap(rs, ls, "fallbacks"),
    defaultFallbacks: rs.default_fallbacks ?? ls.default_fallbacks ?? [],
    contextWindowFallbacks: fallbackMap(rs, ls, "context_window_fallbacks"),
    contentPolicyFallbacks: fallbackMap(rs, ls, "content_policy_fallbacks"),
    retryPolicy: rs.retry_policy ?? {},
    aliases,
    latencyBufferFraction: rs.routing_strategy_args?.lowest_latency_buffer ?? 0.1,
  };

  const general: GeneralConfig = {
    masterKey,
    databaseUrl: gs.database_url ?? (env.DATABASE_URL || undefined),
    redisUrl: redisFromSettings ?? (env.REDIS_URL || undefined),
    endUserPolicy,
    defaultEndUserRegion,
    customerCacheTtlMs: (gs.customer_cache_ttl_seconds ?? 300) * 1000,
    maxBodyBytes: Math.floor((gs.max_request_size_mb ?? 10) * 1024 * 1024),
    shutdownGraceMs: (gs.shutdown_grace_seconds ?? 30) * 1000,
    server: serverLimits(gs, problems),
  };
  return { config: { file: undefined, deployments, router, general, warnings }, problems, notices };
}

function buildDeployment(
  entry: ModelEntry,
  i: number,
  timeoutS: number,
  routerStreamS: number | undefined,
  problems: Problem[],
  notices: Problem[],
): Deployment | undefined {
  const p = entry.litellm_params;
  const at = (key: string): Problem["path"] => ["model_list", i, "litellm_params", key];
  const slash = p.model.indexOf("/");
  const prefix = slash > 0 ? p.model.slice(0, slash) : "openai";
  const upstreamModel = slash > 0 ? p.model.slice(slash + 1) : p.model;
  const provider = SUPPORTED[prefix];
  if (!provider) {
    // Not the operator's mistake but our limit: serve the rest of a real LiteLLM config, say so loudly.
    notices.push({
      path: at("model"),
      message: `provider "${prefix}" is not supported yet (supported: ${Object.keys(SUPPORTED).join(", ")}); this deployment is skipped`,
    });
    return undefined;
  }
  const apiBaseRaw = p.api_base ?? p.base_url;
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
      message: "azure deployments need api_base (https://<resource>.openai.azure.com)",
    });
    return undefined;
  }
  const apiBase = p.mock_response !== undefined && !apiBaseRaw ? "" : (apiBaseRaw ?? DEFAULT_OPENAI_BASE);
  const region = resolveDeploymentRegion({ ...p, api_base: apiBase, provider });
  if (!region.ok) {
    problems.push({
      path: at(region.key),
      message: `${region.message}: use a geography (${listGeographies().join(", ")}) or a cloud region name such as westeurope, eu-central-1, europe-west4 (README "Regions")`,
    });
    return undefined;
  }
  const info = entry.model_info ?? {};
  const id = info.id ?? stableId(entry);
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
    rpm: p.rpm,
    tpm: p.tpm,
    weight: p.weight,
    order: p.order,
    timeoutMs: (p.timeout ?? timeoutS) * 1000,
    // An explicit stream_timeout (deployment, then router) beats a plain timeout.
    streamTimeoutMs: (p.stream_timeout ?? routerStreamS ?? p.timeout ?? timeoutS) * 1000,
    maxRetries: p.max_retries,
    mockResponse: p.mock_response,
    mode: info.mode,
    inputCostPerToken: info.input_cost_per_token ?? p.input_cost_per_token,
    outputCostPerToken: info.output_cost_per_token ?? p.output_cost_per_token,
    extraHeaders: p.extra_headers ?? {},
  };
}

/** Same entry, same id across restarts; hashed from the config as written, so no secret leaks into it. */
function stableId(entry: ModelEntry): string {
  const { api_key: _secret, ...params } = entry.litellm_params;
  const basis = JSON.stringify([entry.model_name, params]);
  return createHash("sha256").update(basis).digest("hex").slice(0, 16);
}
