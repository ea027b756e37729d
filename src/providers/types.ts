import type { Deployment, Operation } from "../router/deployment.js";

/** Everything about reaching a deployment that does not change per request; built once at startup. */
export interface UpstreamTarget {
  /** scheme://host:port — one undici Pool per origin. */
  readonly origin: string;
  /** Path and query for each operation. */
  readonly paths: Readonly<Record<Operation, string>>;
  /** Static request headers: auth, content type, extra_headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A provider translates, nothing more: OpenAI-shaped request in, upstream request out.
 * Pure functions, no I/O, so they are tested by value.
 */
export interface Provider {
  target(d: Deployment): UpstreamTarget;
  /** Upstream JSON body for one attempt. `req` is the client's parsed body and is not mutated. */
  body(d: Deployment, op: Operation, req: Readonly<Record<string, unknown>>): string;
}

/**
 * Keys that configure the gateway itself and must never reach an upstream. Client-side
 * credentials/endpoints (LiteLLM lets a client pass them) are dropped too: the deployment's own
 * key and base are the only ones an upstream sees, and a customer's secret never leaves for a provider.
 */
const GATEWAY_ONLY = new Set([
  "metadata",
  "litellm_metadata",
  "mock_response",
  "fallbacks",
  "num_retries",
  "litellm_logging_obj",
  "context_window_fallback_dict",
  "api_key",
  "api_base",
  "base_url",
  "api_version",
]);

/**
 * Serialize `req` with `model` replaced, dropping gateway-only keys, without copying the object
 * first. `defaults` (a deployment's litellm_params temperature, max_tokens, ...) fill what the
 * client left out; a key the client sent, even as null, is the client's.
 */
export function serializeWithModel(
  req: Readonly<Record<string, unknown>>,
  model: string,
  defaults?: Readonly<Record<string, unknown>>,
): string {
  let out = `{"model":${JSON.stringify(model)}`;
  for (const k in req) {
    if (k === "model" || GATEWAY_ONLY.has(k)) continue;
    const v = req[k];
    if (v === undefined) continue;
    out += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  if (defaults !== undefined) {
    for (const k in defaults) {
      if (req[k] !== undefined || GATEWAY_ONLY.has(k)) continue;
      out += `,${JSON.stringify(k)}:${JSON.stringify(defaults[k])}`;
    }
  }
  return `${out}}`;
}

export function splitBase(apiBase: string): { origin: string; basePath: string } {
  const u = new URL(apiBase);
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, "") };
}
