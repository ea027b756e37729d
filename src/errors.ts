/**
 * The one registry of error codes. Every error a client can see is built here, so the
 * status, OpenAI `type` and `code` of a condition never drift between routes.
 */
export const ERRORS = {
  // request shape
  invalid_json: { status: 400, type: "invalid_request_error" },
  /** Arrays/objects nested deeper than the parser's limit (json-body.ts MAX_JSON_DEPTH). */
  nesting_too_deep: { status: 400, type: "invalid_request_error" },
  invalid_request: { status: 400, type: "invalid_request_error" },
  invalid_model: { status: 400, type: "invalid_request_error" },
  invalid_region: { status: 400, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  body_too_large: { status: 413, type: "invalid_request_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  /** GET /v1/models/{id} for a name we do not serve: OpenAI's own code for it. */
  model_not_found: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  /** The deployment's provider cannot serve this operation (e.g. embeddings on a chat-only wire format). */
  operation_not_supported: { status: 400, type: "invalid_request_error" },
  // malformed HTTP, answered before any route (node's parser, Fastify's router)
  invalid_header: { status: 400, type: "invalid_request_error" },
  invalid_url: { status: 400, type: "invalid_request_error" },
  header_too_large: { status: 431, type: "invalid_request_error" },
  request_timeout: { status: 408, type: "invalid_request_error" },
  // auth
  invalid_api_key: { status: 401, type: "auth_error" },
  forbidden: { status: 403, type: "auth_error" },
  /** A CORS preflight from an origin the route does not serve (general_settings.*cors_allow_origins). */
  cors_origin_not_allowed: { status: 403, type: "permission_error" },
  /** No master key and the admin call did not come from loopback. */
  admin_remote_forbidden: { status: 403, type: "permission_error" },
  // customers and residency
  customer_exists: { status: 400, type: "invalid_request_error" },
  customer_not_found: { status: 404, type: "invalid_request_error" },
  customer_blocked: { status: 403, type: "permission_error" },
  end_user_required: { status: 403, type: "permission_error" },
  /** An end-user id that is present but cannot be read exactly (bad bytes, control characters). */
  invalid_identity: { status: 400, type: "invalid_request_error" },
  /** One identity header repeated with different values. */
  conflicting_identity: { status: 400, type: "invalid_request_error" },
  no_deployment_in_region: { status: 403, type: "permission_error" },
  /** Key, team and customer regions do not intersect: nothing may serve this caller. */
  region_conflict: { status: 403, type: "permission_error" },
  region_capacity_exhausted: { status: 429, type: "rate_limit_error" },
  no_deployment_available: { status: 429, type: "rate_limit_error" },
  policy_unavailable: { status: 503, type: "service_unavailable_error" },
  store_unavailable: { status: 503, type: "service_unavailable_error" },
  /** An admin change was stored but the bus did not confirm that every instance heard of it. */
  invalidation_unconfirmed: { status: 503, type: "service_unavailable_error" },
  // upstream
  upstream_error: { status: 502, type: "api_error" },
  // upstream answered with an error and no code of its own; the status is passed through
  upstream_bad_request: { status: 400, type: "invalid_request_error" },
  upstream_auth_error: { status: 401, type: "auth_error" },
  upstream_not_found: { status: 404, type: "not_found_error" },
  upstream_rate_limited: { status: 429, type: "rate_limit_error" },
  upstream_connection_error: { status: 502, type: "api_error" },
  upstream_timeout: { status: 504, type: "timeout_error" },
  upstream_invalid_response: { status: 502, type: "api_error" },
  client_closed_request: { status: 499, type: "api_error" },
  shutting_down: { status: 503, type: "service_unavailable_error" },
  internal_error: { status: 500, type: "api_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string };
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { param?: string | null; status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.code = code;
    this.status = opts.status ?? ERRORS[code].status;
    this.type = ERRORS[code].type;
    this.param = opts.param ?? null;
    this.headers = opts.headers;
  }

  toJSON(): ErrorEnvelope {
    return envelope(this.message, this.type, this.param, this.code);
  }
}

export function envelope(message: string, type: string, param: string | null, code: string): ErrorEnvelope {
  return { error: { message, type, param, code } };
}

/**
 * Registry code for an upstream error that brought no code of its own (or only a number).
 * `upstream_auth_error` makes plain that the *deployment's* credentials were refused, not the client's.
 */
export function upstreamCodeFor(status: number): ErrorCode {
  if (status === 401 || status === 403) return "upstream_auth_error";
  if (status === 404) return "upstream_not_found";
  if (status === 408 || status === 504) return "upstream_timeout";
  if (status === 429) return "upstream_rate_limited";
  if (status >= 400 && status < 500) return "upstream_bad_request";
  return "upstream_error";
}

/** OpenAI error `type` for an upstream HTTP status we pass through. */
export function typeForStatus(status: number): string {
  if (status === 400 || status === 422) return "invalid_request_error";
  if (status === 401) return "auth_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 408 || status === 504) return "timeout_error";
  if (status === 429) return "rate_limit_error";
  return "api_error";
}
