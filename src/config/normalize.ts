import { type SpendLogSettings, spendLogSettings } from "../audit/settings.js";
import { callbackList, type OtelConfig, otelConfig } from "../observability/otel-config.js";
import { type Geography, geographyOf } from "../regions/table.js";
import type { Deployment } from "../router/deployment.js";
import { type CacheConfig, normalizeCache } from "./cache-params.js";
import { buildDeployment } from "./deployments.js";
import type { Problem } from "./problem.js";
import type { RawConfig } from "./schema.js";
import { type ServerLimits, serverLimits } from "./server-limits.js";

export { DEFAULT_AZURE_API_VERSION, SUPPORTED } from "./deployments.js";

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
  /** proxy_batch_write_at: how often spend is flushed to the store and synced through Redis. */
  spendFlushMs: number;
  maxBodyBytes: number;
  shutdownGraceMs: number;
  /** CORS: origins allowed on the OpenAI routes ("*" = any) and on admin routes. */
  corsOrigins: readonly string[];
  adminCorsOrigins: readonly string[];
  /** With no master key: may admin routes (/end_user/*, /customer/*) answer non-loopback peers? */
  allowRemoteAdminWithoutKey: boolean;
  server: ServerLimits;
  spendLogs: SpendLogSettings;
  /** OpenTelemetry traces: off (undefined) unless litellm_settings.callbacks names "otel". */
  otel: OtelConfig | undefined;
}

export interface GatewayConfig {
  file: string | undefined;
  deployments: Deployment[];
  router: RouterConfig;
  general: GeneralConfig;
  warnings: string[];
  /** The response cache (litellm_settings.cache), when on. */
  cache?: CacheConfig;
}

const DEFAULT_TIMEOUT_S = 600;

export function normalize(
  raw: RawConfig,
  env: NodeJS.ProcessEnv,
  extraProviders: readonly string[] = [],
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
    let d = buildDeployment(entry, i, timeoutS, rs.stream_timeout, problems, notices, extraProviders);
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
        message: `deployment "${d.id}" has no region (${d.evidence}): it never serves region-pinned customers${d.regionSource === "unassigned" ? "; set region_name" : ""}`,
      });
    }
  }
  const groups = new Set(deployments.map((d) => d.modelGroup));
  // LiteLLM's router also takes a deployment's model_info.id where it takes a model group.
  const byId = new Map(deployments.map((d) => [d.id, d]));
  const idTargets = new Set<string>();
  // Listed, but every deployment was skipped (unsupported provider): references to it are dropped, not fatal.
  const listed = new Set(raw.model_list.flatMap((e) => [e.model_name, e.model_info?.id ?? e.model_name]));
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
          else if (byId.has(t)) {
            kept.push(t);
            idTargets.add(t);
          } else if (listed.has(t))
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

  // A fallback to one deployment is served as a group of that deployment alone: the same object
  // fields and id, so its region, cooldowns and usage are the deployment's own.
  for (const id of idTargets) {
    const d = byId.get(id);
    if (d && !groups.has(id)) deployments.push({ ...d, modelGroup: id });
  }

  const redisProblem = checkRedisUrl(redisFromSettings);
  if (redisProblem)
    problems.push({
      path: ["router_settings", rs.redis_url !== undefined ? "redis_url" : "redis_host"],
      message: redisProblem,
    });

  const general: GeneralConfig = {
    masterKey,
    databaseUrl: gs.database_url ?? (env.DATABASE_URL || undefined),
    redisUrl: redisFromSettings ?? (env.REDIS_URL || undefined),
    endUserPolicy,
    defaultEndUserRegion,
    customerCacheTtlMs: (gs.customer_cache_ttl_seconds ?? 300) * 1000,
    spendFlushMs: (gs.proxy_batch_write_at ?? 10) * 1000,
    maxBodyBytes: Math.floor((gs.max_request_size_mb ?? 10) * 1024 * 1024),
    shutdownGraceMs: (gs.shutdown_grace_seconds ?? 30) * 1000,
    corsOrigins: gs.cors_allow_origins ?? ["*"],
    adminCorsOrigins: gs.admin_cors_allow_origins ?? [],
    allowRemoteAdminWithoutKey: gs.allow_remote_admin_without_key ?? false,
    server: serverLimits(gs, problems),
    spendLogs: spendLogSettings(gs, env),
    otel: otelConfig(callbackList(ls.callbacks, ls.success_callback), env),
  };
  const cache = normalizeCache(ls.cache, ls.cache_params, general.redisUrl, problems, notices);
  return { config: { file: undefined, deployments, router, general, warnings, cache }, problems, notices };
}

/** redis_host: <bad> must stop startup here, located, not later as an unreadable connection error. */
function checkRedisUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "not a usable Redis address (expected a host name, or redis_url redis://host:port)";
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    return `Redis URL must start with redis:// or rediss://`;
  if (!u.hostname) return "Redis address has no host";
  return undefined;
}
