import { encodeForm } from "../multipart/encode.js";
import type { SpooledForm } from "../multipart/spool.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { OPERATION_SUFFIX, SURFACE_OPERATIONS } from "../surface/operations.js";
import type { AttemptInput, ObjectCall, UpstreamRequest } from "./contract.js";

export const ALL_OPERATIONS: ReadonlySet<Operation> = new Set([
  "chat",
  "completions",
  "embeddings",
  "responses",
  ...SURFACE_OPERATIONS.map((s) => s.op),
  "files",
  "batches",
]);

/** `{prefix}/{suffix}{query}` for every operation the OpenAI wire format carries. */
export function operationPaths(prefix: string, query = ""): Partial<Record<Operation, string>> {
  const out: Partial<Record<Operation, string>> = {};
  for (const op of ALL_OPERATIONS) out[op] = `${prefix}/${OPERATION_SUFFIX[op]}${query}`;
  return out;
}

/** One attempt's multipart request: the client's parts, `model` set to the deployment's. */
export function formRequest(
  path: string,
  headers: Readonly<Record<string, string>>,
  d: Deployment,
  form: SpooledForm,
  op?: Operation,
): UpstreamRequest {
  // A file upload names no model upstream: the model only chose the deployment.
  const enc =
    op === "files"
      ? encodeForm(form, {}, OBJECT_DROP)
      : encodeForm(form, { model: d.upstreamModel }, GATEWAY_ONLY);
  return {
    path,
    headers: { ...headers, "content-type": enc.contentType, "content-length": String(enc.length) },
    body: enc.body,
  };
}

/**
 * A files/batches request: the object's path (id, action) and the client's query after the
 * operation's, its method, and a body without `model` (OpenAI refuses unknown arguments there).
 */
export function storedObjectRequest(
  base: string,
  headers: Readonly<Record<string, string>>,
  d: Deployment,
  a: AttemptInput,
): UpstreamRequest {
  const q = base.indexOf("?");
  const path = q < 0 ? base : base.slice(0, q);
  const query = [q < 0 ? "" : base.slice(q + 1), a.query ?? ""].filter((x) => x !== "").join("&");
  const full = `${path}${a.subpath ?? ""}${query ? `?${query}` : ""}`;
  const method = a.method ?? "POST";
  if (a.form) return { ...formRequest(full, headers, d, a.form, a.op), method };
  if (method !== "POST") return { path: full, headers, body: "", method };
  let body = "{";
  for (const k in a.body) {
    if (OBJECT_DROP.has(k) || a.body[k] === undefined) continue;
    body += `${body === "{" ? "" : ","}${JSON.stringify(k)}:${JSON.stringify(a.body[k])}`;
  }
  return { path: full, headers, body: `${body}}`, method };
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
  "cache",
  "fallbacks",
  "num_retries",
  "litellm_logging_obj",
  "context_window_fallback_dict",
  "api_key",
  "api_base",
  "base_url",
  "api_version",
]);

/** Keys a files/batches request never sends upstream: the gateway's, and the routing model. */
const OBJECT_DROP = new Set([...GATEWAY_ONLY, "model", "target_model_names"]);

/**
 * Serialize `req` with `model` replaced, dropping gateway-only keys (and `skip`), without copying
 * the object first. `defaults` (a deployment's litellm_params temperature, max_tokens, ...) fill
 * what the client left out; a key the client sent, even as null, is the client's.
 */
export function serializeWithModel(
  req: Readonly<Record<string, unknown>>,
  model: string,
  defaults?: Readonly<Record<string, unknown>>,
  skip?: string,
): string {
  let out = `{"model":${JSON.stringify(model)}`;
  for (const k in req) {
    if (k === "model" || k === skip || GATEWAY_ONLY.has(k)) continue;
    const v = req[k];
    if (v === undefined) continue;
    out += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  if (defaults !== undefined) {
    for (const k in defaults) {
      if (req[k] !== undefined || k === skip || GATEWAY_ONLY.has(k)) continue;
      out += `,${JSON.stringify(k)}:${JSON.stringify(defaults[k])}`;
    }
  }
  return `${out}}`;
}

/**
 * The OpenAI request body of one attempt. A stream asks for usage at its end (`stream_options.
 * include_usage`) when the upstream supports it, whatever the client said: the client's other stream
 * options are kept, and the extra usage chunk is taken out again for a client that did not ask.
 */
export function openaiBody(d: Deployment, a: AttemptInput, upstreamStreamsUsage: boolean): string {
  if (a.op === "responses")
    return serializeWithModel(a.body, d.upstreamModel, responsesDefaults(d.requestDefaults));
  if (!a.stream || !a.wantUsage || !upstreamStreamsUsage || clientAskedUsage(a.body))
    return serializeWithModel(a.body, d.upstreamModel, d.requestDefaults);
  const opts = a.body.stream_options;
  const merged =
    opts && typeof opts === "object" && !Array.isArray(opts)
      ? { ...(opts as Record<string, unknown>), include_usage: true }
      : { include_usage: true };
  const json = serializeWithModel(a.body, d.upstreamModel, d.requestDefaults, "stream_options");
  return `${json.slice(0, -1)},"stream_options":${JSON.stringify(merged)}}`;
}

/**
 * A deployment's chat-shaped request defaults, as the Responses API names them: it refuses
 * `max_tokens` (its name is `max_output_tokens`) and chat-only keys (`n`, `stop`, `response_format`,
 * chat-shaped `tools`…), so only what it shares is sent. No `stream_options` either: usage comes in
 * response.completed.
 */
function responsesDefaults(
  defaults: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, unknown>> | undefined {
  if (!defaults) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of ["temperature", "top_p", "parallel_tool_calls", "service_tier"])
    if (defaults[k] !== undefined) out[k] = defaults[k];
  const max = defaults.max_completion_tokens ?? defaults.max_tokens;
  if (max !== undefined) out.max_output_tokens = max;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The client asked for the usage chunk itself. */
export function clientAskedUsage(body: Readonly<Record<string, unknown>>): boolean {
  const o = body.stream_options as { include_usage?: unknown } | undefined;
  return typeof o === "object" && o !== null && o.include_usage === true;
}

/**
 * A follow-up on an object the upstream holds: `{collection}/{id}[/{action}]`, the client's query,
 * then the deployment's own query (Azure's api-version) appended. A POST (cancel) carries the
 * client's body, or `{}`; GET and DELETE carry none.
 */
export function objectRequest(
  collectionPath: string,
  deploymentQuery: string,
  headers: Readonly<Record<string, string>>,
  o: ObjectCall,
  body: Readonly<Record<string, unknown>>,
): UpstreamRequest {
  const sub = o.action === "retrieve" || o.action === "delete" ? "" : `/${o.action}`;
  const q = [o.query.replace(/^\?/, ""), deploymentQuery].filter(Boolean).join("&");
  return {
    method: o.method,
    path: `${collectionPath}/${encodeURIComponent(o.id)}${sub}${q ? `?${q}` : ""}`,
    headers,
    body: o.method === "POST" ? JSON.stringify(body) : "",
  };
}

export function splitBase(apiBase: string): { origin: string; basePath: string } {
  const u = new URL(apiBase);
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, "") };
}
