import { z } from "zod";
import { cacheParamsSchema } from "./cache-params.js";
import { requestDefaultsShape } from "./request-defaults.js";
import { ACCESS_SETTINGS, OVERRIDE_KEY } from "./security.js";

/**
 * LiteLLM `config.yaml`, the parts Meridian reads. Objects are non-strict: keys we do not
 * know are reported once each as warnings by `unknownKeys()` (see load.ts), never fatal —
 * except the access settings of security.ts, which stop startup. The data has already been
 * through prepare.ts (nulls dropped, credentials and provider variables filled).
 */

/** YAML users write `rpm: "100"` as often as `rpm: 100`. */
const num = z.union(
  [
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ],
  { error: "expected a number" },
);
const nonNeg = num.pipe(z.number().nonnegative());
const bool = z.union(
  [z.boolean(), z.enum(["true", "false", "True", "False"]).transform((s) => s.toLowerCase() === "true")],
  { error: "expected true or false" },
);

const fallbackList = z.array(
  z.record(z.string(), z.union([z.array(z.string()), z.string().transform((s) => [s])])),
);

export const litellmParamsSchema = z.object({
  model: z.string().min(1),
  api_base: z.string().url().optional(),
  base_url: z.string().url().optional(),
  api_key: z.string().optional(),
  api_version: z.string().optional(),
  region_name: z.string().optional(),
  aws_region_name: z.string().optional(),
  aws_access_key_id: z.string().optional(),
  aws_secret_access_key: z.string().optional(),
  aws_session_token: z.string().optional(),
  aws_bedrock_runtime_endpoint: z.string().url().optional(),
  vertex_location: z.string().optional(),
  vertex_project: z.string().optional(),
  // LiteLLM takes a path or the key's JSON as a string; YAML users also write the object itself.
  vertex_credentials: z
    .union([z.string(), z.record(z.string(), z.unknown()).transform((o) => JSON.stringify(o))])
    .optional(),
  /** Anthropic: "us" keeps inference in the US (sent with each request); default global. */
  inference_geo: z.string().optional(),
  organization: z.string().optional(),
  rpm: nonNeg.optional(),
  tpm: nonNeg.optional(),
  weight: nonNeg.optional(),
  order: num.pipe(z.number().int()).optional(),
  timeout: nonNeg.optional(),
  stream_timeout: nonNeg.optional(),
  max_retries: nonNeg.pipe(z.number().int()).optional(),
  mock_response: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  extra_headers: z.record(z.string(), z.string()).optional(),
  input_cost_per_token: nonNeg.optional(),
  output_cost_per_token: nonNeg.optional(),
  // Filled from credential_list before the schema runs (prepare.ts); kept so it is not "unknown".
  litellm_credential_name: z.string().optional(),
  // LiteLLM's flag: the upstream has no /responses; translate Responses to chat completions
  use_chat_completions_api: bool.optional(),
  ...requestDefaultsShape,
});

/** Every `model_info.mode` LiteLLM knows; another value is kept with a warning, never refused. */
export const KNOWN_MODES = [
  "chat",
  "completion",
  "embedding",
  "image_generation",
  "image_edit",
  "audio_transcription",
  "audio_speech",
  "moderation",
  "rerank",
  "batch",
  "responses",
  "realtime",
  "video_generation",
  "ocr",
  "search",
  "vector_store",
  "assistants",
] as const;

export const modelInfoSchema = z.object({
  id: z.union([z.string(), z.number().transform(String)]).optional(),
  base_model: z.string().optional(),
  mode: z.string().optional(),
  max_tokens: nonNeg.optional(),
  max_input_tokens: nonNeg.optional(),
  max_output_tokens: nonNeg.optional(),
  input_cost_per_token: nonNeg.optional(),
  output_cost_per_token: nonNeg.optional(),
  access_groups: z.array(z.string()).optional(),
  /** Azure: Standard, DataZoneStandard, GlobalStandard, ... (regions/azure-type.ts); the API does not reveal it. */
  azure_deployment_type: z.string().optional(),
});

export const modelEntrySchema = z.object({
  model_name: z.string().min(1),
  litellm_params: litellmParamsSchema,
  model_info: modelInfoSchema.optional(),
  // LiteLLM also reads these as siblings of litellm_params.
  tpm: nonNeg.optional(),
  rpm: nonNeg.optional(),
});

/** Declared here only so they are not reported as unknown; security.ts decides about them. */
const accessShape = (section: string) =>
  Object.fromEntries(
    ACCESS_SETTINGS.filter((a) => a.section === section).map((a) => [a.key, z.unknown().optional()]),
  );

const credentialSchema = z.object({
  credential_name: z.string().min(1),
  credential_values: z.record(z.string(), z.unknown()),
  credential_info: z.unknown().optional(),
});

const retryPolicySchema = z.object({
  BadRequestErrorRetries: nonNeg.optional(),
  AuthenticationErrorRetries: nonNeg.optional(),
  TimeoutErrorRetries: nonNeg.optional(),
  RateLimitErrorRetries: nonNeg.optional(),
  ContentPolicyViolationErrorRetries: nonNeg.optional(),
  InternalServerErrorRetries: nonNeg.optional(),
});

export const routerSettingsSchema = z.object({
  routing_strategy: z
    .enum([
      "simple-shuffle",
      "least-busy",
      "latency-based-routing",
      "usage-based-routing-v2",
      "usage-based-routing",
      "order",
    ])
    .optional(),
  // `ttl` is not read (latency is a moving average), so it is reported as an unknown key.
  routing_strategy_args: z.object({ lowest_latency_buffer: nonNeg.optional() }).optional(),
  num_retries: nonNeg.pipe(z.number().int()).optional(),
  retry_after: nonNeg.optional(),
  allowed_fails: nonNeg.pipe(z.number().int()).optional(),
  cooldown_time: nonNeg.optional(),
  disable_cooldowns: bool.optional(),
  timeout: nonNeg.optional(),
  stream_timeout: nonNeg.optional(),
  fallbacks: fallbackList.optional(),
  default_fallbacks: z.array(z.string()).optional(),
  context_window_fallbacks: fallbackList.optional(),
  content_policy_fallbacks: fallbackList.optional(),
  retry_policy: retryPolicySchema.optional(),
  model_group_alias: z
    .record(z.string(), z.union([z.string(), z.object({ model: z.string(), hidden: bool.optional() })]))
    .optional(),
  enable_pre_call_checks: bool.optional(),
  redis_host: z.string().optional(),
  redis_port: num.optional(),
  redis_password: z.string().optional(),
  redis_url: z.string().optional(),
  ...accessShape("router_settings"),
});

export const litellmSettingsSchema = z.object({
  num_retries: nonNeg.pipe(z.number().int()).optional(),
  request_timeout: nonNeg.optional(),
  fallbacks: fallbackList.optional(),
  default_fallbacks: z.array(z.string()).optional(),
  context_window_fallbacks: fallbackList.optional(),
  content_policy_fallbacks: fallbackList.optional(),
  drop_params: bool.optional(),
  set_verbose: bool.optional(),
  json_logs: bool.optional(),
  // the response cache (src/cache/)
  cache: bool.optional(),
  cache_params: cacheParamsSchema.optional(),
  /** "otel" turns on OpenTelemetry traces (observability/otel-config.ts); others are LiteLLM's. */
  callbacks: z.union([z.string(), z.array(z.string())]).optional(),
  success_callback: z.union([z.string(), z.array(z.string())]).optional(),
});

export const generalSettingsSchema = z.object({
  master_key: z.string().optional(),
  database_url: z.string().optional(),
  end_user_policy: z.enum(["open", "default_region", "reject"]).optional(),
  default_end_user_region: z.string().optional(),
  customer_cache_ttl_seconds: nonNeg.optional(),
  /** LiteLLM's spend write interval (default 10 s): spend reaches the store (and Redis) this often. */
  proxy_batch_write_at: num.pipe(z.number().positive()).optional(),
  max_request_size_mb: num.pipe(z.number().positive()).optional(),
  shutdown_grace_seconds: nonNeg.optional(),
  /** Browser origins allowed on the OpenAI routes (default ["*"], LiteLLM's); README "CORS". */
  cors_allow_origins: z.array(z.string()).optional(),
  /** Browser origins allowed on admin routes (default none). */
  admin_cors_allow_origins: z.array(z.string()).optional(),
  [OVERRIDE_KEY]: z.union([z.string(), z.array(z.string())]).optional(),
  ...accessShape("general_settings"),
  /** Without a master key, admin routes answer loopback peers only unless this is true. */
  allow_remote_admin_without_key: bool.optional(),
  shutdown_drain_seconds: nonNeg.optional(),
  client_request_timeout_seconds: nonNeg.optional(),
  client_headers_timeout_seconds: nonNeg.optional(),
  client_keep_alive_timeout_seconds: num.pipe(z.number().positive()).optional(),
  max_client_connections: num.pipe(z.number().int().positive()).optional(),
  // spend log (audit/settings.ts)
  disable_spend_logs: bool.optional(),
  store_prompts_in_spend_logs: bool.optional(),
  spend_logs_batch_size: num.pipe(z.number().int().positive()).optional(),
  spend_logs_max_queue: num.pipe(z.number().int().positive()).optional(),
  spend_logs_spill_dir: z.string().optional(),
  spend_logs_instance_id: z.string().optional(),
});

export const configSchema = z.object({
  model_list: z.array(modelEntrySchema).default([]),
  router_settings: routerSettingsSchema.default({}),
  litellm_settings: litellmSettingsSchema.default({}),
  general_settings: generalSettingsSchema.default({}),
  credential_list: z.array(credentialSchema).optional(),
  environment_variables: z.record(z.string(), z.union([z.string(), z.number().transform(String)])).optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type RouterSettings = z.infer<typeof routerSettingsSchema>;
export type GeneralSettings = z.infer<typeof generalSettingsSchema>;
