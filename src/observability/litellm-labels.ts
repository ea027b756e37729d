/**
 * Label names of LiteLLM's Prometheus metrics, as its `PrometheusMetricLabels` and docs define them
 * (read late 2026), so a Grafana dashboard built for LiteLLM reads Meridian's /metrics unchanged.
 *
 * Counter names carry `_total`: LiteLLM registers `litellm_proxy_total_requests_metric` with Python's
 * prometheus_client, which exposes a counter as `<name>_total`; prom-client exposes names as given,
 * so the suffix is part of the name here and the exposed series are identical.
 */
const KEY = ["hashed_api_key", "api_key_alias", "team", "team_alias"] as const;
const CALLER = ["end_user", ...KEY, "user"] as const;
const DEPLOYMENT = ["litellm_model_name", "model_id", "api_base", "api_provider"] as const;

export const LITELLM_METRICS = {
  litellm_proxy_total_requests_metric_total: [...CALLER, "requested_model", "status_code"],
  litellm_proxy_failed_requests_metric_total: [
    ...CALLER,
    "requested_model",
    "exception_status",
    "exception_class",
  ],
  litellm_requests_metric_total: [...CALLER, "model"],
  litellm_request_total_latency_metric: [...CALLER, "requested_model", "model"],
  litellm_overhead_latency_metric: [...CALLER, "requested_model", "model"],
  litellm_llm_api_latency_metric: ["model", ...KEY, "requested_model", "end_user", "user"],
  litellm_deployment_success_responses_total: ["requested_model", ...DEPLOYMENT, ...KEY],
  litellm_deployment_failure_responses_total: [
    "requested_model",
    ...DEPLOYMENT,
    ...KEY,
    "exception_status",
    "exception_class",
  ],
  litellm_deployment_total_requests_total: ["requested_model", ...DEPLOYMENT, ...KEY],
  litellm_deployment_state: [...DEPLOYMENT],
  litellm_remaining_requests_metric: [
    "model_group",
    "api_provider",
    "api_base",
    "litellm_model_name",
    "hashed_api_key",
    "api_key_alias",
  ],
  litellm_remaining_tokens_metric: [
    "model_group",
    "api_provider",
    "api_base",
    "litellm_model_name",
    "hashed_api_key",
    "api_key_alias",
  ],
  litellm_total_tokens_metric_total: [...CALLER, "requested_model", "model"],
  litellm_input_tokens_metric_total: [...CALLER, "requested_model", "model"],
  litellm_output_tokens_metric_total: [...CALLER, "requested_model", "model"],
  litellm_spend_metric_total: [...CALLER, "model"],
} as const satisfies Record<string, readonly string[]>;

export type LiteLLMMetric = keyof typeof LITELLM_METRICS;
