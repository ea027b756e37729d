/** Where OpenTelemetry traces go, when they are on (off by default). */
export interface OtelConfig {
  /** OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
}

/**
 * Traces are on when `litellm_settings.callbacks` (or `success_callback`) names "otel", as in
 * LiteLLM. The endpoint comes from the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
 * OTEL_EXPORTER_OTLP_ENDPOINT, or LiteLLM's OTEL_ENDPOINT; headers from OTEL_EXPORTER_OTLP_HEADERS
 * or LiteLLM's OTEL_HEADERS ("k=v,k2=v2").
 */
export function otelConfig(callbacks: readonly string[], env: NodeJS.ProcessEnv): OtelConfig | undefined {
  if (!callbacks.some((c) => c.toLowerCase() === "otel")) return undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, "");
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    (base ? `${base}/v1/traces` : undefined) ||
    env.OTEL_ENDPOINT ||
    "http://localhost:4318/v1/traces";
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS || env.OTEL_HEADERS || "").split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0)
      headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return { url, headers, serviceName: env.OTEL_SERVICE_NAME || "meridian" };
}

export function callbackList(...values: Array<string | readonly string[] | undefined>): string[] {
  return values.flatMap((v) => (v === undefined ? [] : typeof v === "string" ? [v] : [...v]));
}
