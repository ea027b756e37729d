import { errorMessage, typeForStatus, upstreamCodeFor } from "../errors.js";

/** Why an attempt failed, in the terms the retry policy and cooldowns reason about. */
export type FailureKind =
  | "rate_limit"
  | "timeout"
  | "server"
  | "connection"
  | "auth"
  | "not_found"
  | "bad_request"
  | "context_window"
  | "content_policy"
  | "aborted"
  /** The gateway could not build or send the request (nothing reached the upstream): never the deployment's fault. */
  | "gateway";

export interface AttemptFailure {
  kind: FailureKind;
  /** Status the client sees if this is the last word. */
  status: number;
  /** OpenAI-style error body fields the client sees. */
  message: string;
  type: string;
  code: string;
  param: string | null;
  /** Upstream asked us to wait this long (Retry-After / retry-after-ms). */
  retryAfterMs: number | undefined;
  /** Upstream's own response headers worth forwarding (x-ratelimit-*). */
  passHeaders: Record<string, string> | undefined;
  /**
   * Detected by the gateway (no HTTP response: our timeout, reset, refused) rather than answered by
   * upstream. Our own timeouts count towards `allowed_fails`; an upstream's 408/504 cools at once.
   */
  local?: boolean;
  /** For the gateway's log only (kind "gateway"): what went wrong inside. */
  cause?: unknown;
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

/**
 * Errors raised before a request leaves (undici refusing our arguments, node refusing a header
 * value): the gateway built something it cannot send. They say nothing about the deployment.
 */
const GATEWAY_SIDE_CODES = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "ERR_INVALID_ARG_TYPE",
  "ERR_INVALID_ARG_VALUE",
  "ERR_INVALID_CHAR",
  "ERR_HTTP_INVALID_HEADER_VALUE",
]);

export function isGatewaySide(err: unknown): boolean {
  if (err instanceof RangeError) return true; // e.g. a stack overflow while building the request
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && GATEWAY_SIDE_CODES.has(code);
}

/** A thrown error from undici (no HTTP response at all). */
export function failureFromError(err: unknown, what: string, timedOut: boolean): AttemptFailure {
  const code = (err as { code?: string } | null)?.code ?? "";
  const name = (err as { name?: string } | null)?.name ?? "";
  let f: AttemptFailure;
  if (timedOut || TIMEOUT_CODES.has(code)) {
    f = base("timeout", 504, errorMessage("upstream_timeout", { what }), "timeout_error", "upstream_timeout");
  } else if (name === "AbortError" || code === "UND_ERR_ABORTED") {
    f = base("aborted", 499, errorMessage("client_closed_request"), "api_error", "client_closed_request");
  } else {
    const detail = code || name || "error";
    f = base(
      "connection",
      502,
      errorMessage("upstream_connection_error", { what, detail }),
      "api_error",
      "upstream_connection_error",
    );
  }
  f.local = true;
  return f;
}

/** Building the request failed inside the gateway: nothing was sent, the deployment is not to blame. */
export function gatewayFailure(err: unknown, what: string): AttemptFailure {
  const tooDeep = err instanceof RangeError;
  const f = base(
    "gateway",
    500,
    errorMessage("internal_error", { reason: "prepare", what, tooDeep }),
    "api_error",
    "internal_error",
  );
  f.local = true;
  f.cause = err;
  return f;
}

/** An upstream HTTP error response. `body` is the raw upstream body (may not be JSON). */
export function failureFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  what: string,
): AttemptFailure {
  let message = errorMessage(upstreamCodeFor(status), { what, status });
  let type = typeForStatus(status);
  let code: string = upstreamCodeFor(status);
  let param: string | null = null;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { error?: unknown; message?: unknown };
    const e = parsed?.error;
    if (e && typeof e === "object") {
      const o = e as Record<string, unknown>;
      if (typeof o.message === "string") message = o.message;
      if (typeof o.type === "string") type = o.type;
      // Upstream's own named code (e.g. context_length_exceeded) is kept; bare numbers are not codes.
      if (typeof o.code === "string" && o.code !== "" && !/^\d+$/.test(o.code)) code = o.code;
      if (typeof o.param === "string") param = o.param;
    } else if (typeof e === "string") message = e;
    else if (typeof parsed?.message === "string") message = parsed.message;
  } catch {
    // non-JSON error body: keep the generic message; never echo arbitrary upstream bytes
  }
  const kind = kindForStatus(status, code, message);
  const f = base(kind, status, message, type, code);
  f.param = param;
  f.retryAfterMs = retryAfterMs(headers);
  f.passHeaders = rateLimitHeaders(headers);
  return f;
}

function kindForStatus(status: number, code: string, message: string): FailureKind {
  if (status === 429) return "rate_limit";
  if (status === 408 || status === 504) return "timeout";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (status >= 500) return "server";
  if (code === "context_length_exceeded" || /context length|maximum context|too many tokens/i.test(message))
    return "context_window";
  if (
    code === "content_filter" ||
    code === "content_policy_violation" ||
    /content (management )?policy|content filter/i.test(message)
  )
    return "content_policy";
  return "bad_request";
}

function base(
  kind: FailureKind,
  status: number,
  message: string,
  type: string,
  code: string,
): AttemptFailure {
  return { kind, status, message, type, code, param: null, retryAfterMs: undefined, passHeaders: undefined };
}

export function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = first(headers["retry-after-ms"]);
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const s = first(headers["retry-after"]);
  if (s === undefined) return undefined;
  if (Number.isFinite(Number(s))) return Math.max(0, Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function rateLimitHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const k in headers) {
    if (k.startsWith("x-ratelimit-")) {
      const v = first(headers[k]);
      if (v !== undefined) {
        out ??= {};
        out[k] = v;
      }
    }
  }
  return out;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
