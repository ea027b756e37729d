/**
 * The one registry of error codes. Every error a client can see is built from here: a code's
 * status, OpenAI `type` and message template live together, so neither the status nor the words
 * of a condition drift between routes. Call sites pass values; `gatewayError` writes the message.
 */

/** A request field that is missing or holds a value the gateway cannot use. */
type FieldProblem =
  | { reason: "missing"; param: string | null }
  | { reason: "invalid"; param: string | null; why: string };

const fieldProblem = (v: FieldProblem): string =>
  v.reason === "missing"
    ? `Missing required parameter: ${v.param}.`
    : `Invalid ${v.param ?? "body"}: ${v.why}.`;

/** `detail` is a fixed parser reason (never client bytes); absent, the message has no parentheses. */
const withDetail = (detail: string | undefined): string => (detail ? ` (${detail})` : "");

const forCustomer = (endUserId: string | undefined): string =>
  endUserId ? ` for customer "${endUserId}"` : "";

const BLOCKED_WHY = {
  cooling: "is cooling down after failures",
  usage: "has reached its rpm/tpm limit for this minute",
} as const;

const IDENTITY_WHY = {
  percent_escape:
    "holds a percent-escape; header ids are not percent-decoded, so send the id as UTF-8 bytes (or in the body `user` field)",
  not_utf8: "is not valid UTF-8",
  control_character: "contains a control character",
  unpaired_surrogate: "contains an unpaired surrogate (not a Unicode character; no customer can have it)",
  not_string: "must be a string",
} as const;

/** An upstream error response that brought no message of its own. */
const upstreamStatus = (v: { what: string; status: number }): string => `${v.what} returned HTTP ${v.status}`;

export const ERRORS = {
  // request shape
  invalid_json: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { detail: string }) => `Request body is not valid JSON: ${v.detail}`,
  },
  /** Arrays/objects nested deeper than the parser's limit (json-body.ts MAX_JSON_DEPTH). */
  nesting_too_deep: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { limit: number }) =>
      `Request body nests arrays/objects more than ${v.limit} levels deep; the limit is ${v.limit}.`,
  },
  invalid_request: {
    status: 400,
    type: "invalid_request_error",
    message: (
      v:
        | FieldProblem
        | { reason: "empty_body" | "not_object" | "no_messages" | "content_length" | "batch_stream" }
        | { reason: "bad_message"; index: number }
        | { reason: "wrong_type"; param: string; expected: string; got: string }
        | { reason: "missing_query"; param: string }
        | { reason: "not_integer"; param: string; min: number; max: number }
        | { reason: "batch_size"; max: number; got: number }
        | { reason: "malformed_http"; detail?: string },
    ) => {
      switch (v.reason) {
        case "missing":
        case "invalid":
          return fieldProblem(v);
        case "empty_body":
          return "Request body is empty; send a JSON object.";
        case "not_object":
          return "Request body must be a JSON object.";
        case "no_messages":
          return "messages must contain at least one message.";
        case "bad_message":
          return `messages[${v.index}] must be an object with a string "role".`;
        case "wrong_type":
          return `Invalid type for ${v.param}: expected ${v.expected}, got ${v.got}.`;
        case "missing_query":
          return `Missing required query parameter: ${v.param}.`;
        case "not_integer":
          return `Invalid ${v.param}: expected an integer from ${v.min} to ${v.max}.`;
        case "content_length":
          return "Content-Length does not match the body.";
        case "batch_stream":
          return "Batch completions (model: 'a,b') cannot stream.";
        case "batch_size":
          return `A batch names 1 to ${v.max} models separated by commas; got ${v.got}.`;
        case "malformed_http":
          return `Malformed HTTP request${withDetail(v.detail)}.`;
      }
    },
  },
  invalid_model: {
    status: 400,
    type: "invalid_request_error",
    /** `model` is what was asked (a batch names every unknown one, comma-joined). */
    message: (v: { model: string; available: readonly string[] }) =>
      `Invalid model name passed in model=${v.model}. Available models: ${v.available.join(", ") || "(none configured)"}`,
  },
  invalid_region: { status: 400, type: "invalid_request_error", message: fieldProblem },
  unsupported_media_type: {
    status: 415,
    type: "invalid_request_error",
    message: (
      v:
        | { reason: "admin"; got: string }
        | { reason: "parser" }
        | { reason: "route"; path: string; expected: string; got: string },
    ) =>
      v.reason === "admin"
        ? `Admin routes take only Content-Type: application/json (got ${v.got}).`
        : v.reason === "route"
          ? `${v.path} takes a ${v.expected} body (got Content-Type: ${v.got}).`
          : "Unsupported content type; send application/json.",
  },
  body_too_large: {
    status: 413,
    type: "invalid_request_error",
    /** `limit`: the configured limit was what refused it (we know which setting to name). */
    message: (v: { limit: boolean }) =>
      v.limit
        ? "Request body is larger than the configured limit (general_settings.max_request_size_mb)."
        : "Request body is too large.",
  },
  not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (
      v:
        | { reason: "route"; method: string; path: string }
        | { reason: "deployment"; modelId: string }
        | { reason: "ui_not_built" },
    ) =>
      v.reason === "route"
        ? `Route not found: ${v.method} ${v.path}`
        : v.reason === "ui_not_built"
          ? "The admin page is not built: run `npm run build` (it builds ui/ into dist/ui)."
          : `No deployment with model id '${v.modelId}'`,
  },
  /** GET /v1/models/{id} for a name we do not serve: OpenAI's own code for it. */
  model_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { model: string } | { group: string } | { modelId: string }) =>
      "model" in v
        ? `The model '${v.model}' does not exist`
        : "group" in v
          ? `The model group '${v.group}' does not exist`
          : `Model id = ${v.modelId} not found on the gateway`,
  },
  method_not_allowed: {
    status: 405,
    type: "invalid_request_error",
    message: (v: { method: string | undefined; path: string; allowed: readonly string[] }) =>
      `Method ${v.method} is not allowed on ${v.path}; use ${v.allowed.join(" or ")}.`,
  },
  /** The deployment's provider cannot serve this operation (e.g. embeddings on a chat-only wire format). */
  operation_not_supported: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { group: string; op: string; provider: string }) =>
      `Model group ${v.group} cannot serve ${v.op} requests (provider ${v.provider}).`,
  },
  // issue 17 surface: modes, multipart
  /** The group's model_info.mode says it serves something else (an embedding model asked to chat). */
  mode_not_supported: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { group: string; op: string; modes: readonly string[]; wanted: readonly string[] }) =>
      `Model group ${v.group} serves mode ${v.modes.join(", ")} (model_info.mode), not ${v.op}; ${v.op} needs a group with mode ${v.wanted.join(" or ")}.`,
  },
  /** A multipart/form-data body that cannot be read (bad framing, missing file, too many parts). */
  invalid_multipart: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { reason: "malformed" | "no_boundary" | "limits" | "missing_file"; param?: string }) =>
      ({
        malformed: "The multipart/form-data body is malformed.",
        no_boundary: "Content-Type multipart/form-data needs a boundary parameter.",
        limits: "The multipart/form-data body has too many parts or a field that is too long.",
        missing_file: `Missing required file part: ${v.param ?? "file"}.`,
      })[v.reason],
  },
  /** A file or batch id no deployment is known to hold (OpenAI answers 404 for an unknown id too). */
  object_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { kind: string; id: string }) => `No ${v.kind} with id '${v.id}' is known to this gateway.`,
  },
  /** The deployment holding a file or batch is outside the caller's allowed regions: never sent elsewhere. */
  object_outside_region: {
    status: 403,
    type: "permission_error",
    message: (v: { kind: string; id: string; where: string; allowed: string; endUserId?: string }) =>
      `The ${v.kind} '${v.id}' is held by a deployment in ${v.where}, outside ${v.allowed}${forCustomer(v.endUserId)}; it can only be used there. The request was not sent anywhere.`,
  },
  /** The id -> deployment record could not be read: refused rather than sent to a guess. */
  object_lookup_unavailable: {
    status: 503,
    type: "service_unavailable_error",
    message: (v: { kind: string }) =>
      `Where this ${v.kind} lives could not be looked up (store unavailable); the request was refused rather than sent to a guess. Retry shortly.`,
  },
  // bedrock: a request the deployment's wire format cannot carry, refused before any byte is sent
  bedrock_input_unsupported: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { group: string; what: string }) =>
      `Model group ${v.group} (provider bedrock) cannot carry ${v.what}.`,
  },
  // malformed HTTP, answered before any route (node's parser, Fastify's router)
  invalid_header: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { detail?: string }) => `Malformed request header or framing${withDetail(v.detail)}.`,
  },
  invalid_url: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { reason: "request_line" | "percent_encoding" | "model_path" | "segment_too_long" }) =>
      ({
        request_line: "The request line has an invalid URL.",
        percent_encoding: "The request URL has an invalid percent-encoding.",
        model_path: "The model in the request path is not valid percent-encoding.",
        segment_too_long: "A path segment of the request URL is too long.",
      })[v.reason],
  },
  header_too_large: {
    status: 431,
    type: "invalid_request_error",
    message: () => "Request headers are larger than the server accepts.",
  },
  request_timeout: {
    status: 408,
    type: "invalid_request_error",
    message: () => "The request was not received in time.",
  },
  /** An Expect other than 100-continue (RFC 9110 §10.1.1): the only expectation a server can meet. */
  expectation_failed: {
    status: 417,
    type: "invalid_request_error",
    message: () =>
      "The Expect header asks for something this server does not do; only 100-continue is supported.",
  },
  // auth
  invalid_api_key: {
    status: 401,
    type: "auth_error",
    message: (v: { sent: boolean }) =>
      v.sent
        ? "Authentication Error: invalid API key."
        : "Authentication Error: no API key passed (use Authorization: Bearer <key>).",
  },
  forbidden: { status: 403, type: "auth_error", message: () => "This key may not use this route." },
  /** A CORS preflight from an origin the route does not serve (general_settings.*cors_allow_origins). */
  cors_origin_not_allowed: {
    status: 403,
    type: "permission_error",
    message: (v: { origin: string | undefined; path: string; admin: boolean }) =>
      `Origin ${v.origin} is not allowed on ${v.path} (general_settings.${v.admin ? "admin_cors_allow_origins" : "cors_allow_origins"}).`,
  },
  /** No master key and the admin call did not come from loopback. */
  admin_remote_forbidden: {
    status: 403,
    type: "permission_error",
    message: () =>
      "Admin routes answer only loopback callers when no master key is set; set general_settings.master_key (or general_settings.allow_remote_admin_without_key: true).",
  },
  // customers and residency
  customer_exists: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { id: string }) => `Customer already exists: "${v.id}".`,
  },
  customer_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { ids: readonly string[] }) =>
      `Customer not found: ${v.ids.map((i) => `"${i}"`).join(", ")}.`,
  },
  customer_blocked: {
    status: 403,
    type: "permission_error",
    message: (v: { id: string }) => `Customer "${v.id}" is blocked.`,
  },
  end_user_required: {
    status: 403,
    type: "permission_error",
    /** `id` absent: the request named no end user at all. */
    message: (v: { id?: string }) =>
      v.id === undefined
        ? "This gateway serves identified end users only: pass `user` in the body or the x-litellm-end-user-id header."
        : `End user "${v.id}" is not a known customer and this gateway rejects unknown end users.`,
  },
  /** An end-user id that is present but cannot be read exactly (bad bytes, control characters). */
  invalid_identity: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { where: string; problem: keyof typeof IDENTITY_WHY }) =>
      `End-user id in ${v.where} ${IDENTITY_WHY[v.problem]}; the request was refused.`,
  },
  /** One identity header repeated with different values. */
  conflicting_identity: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { header: string } | { field: string }) =>
      "header" in v
        ? `Header ${v.header} was sent more than once with different values; send one end-user id.`
        : `Field ${v.field} appears more than once in the body (parsers disagree on which one counts); send one end-user id.`,
  },
  /** `allowed` is describeAllowed(policy): `region "eu"`, `regions "eu", "us"`. */
  no_deployment_in_region: {
    status: 403,
    type: "permission_error",
    message: (v: { group: string; allowed: string; endUserId?: string; regions: readonly string[] }) =>
      `No deployment of model "${v.group}" is in ${v.allowed}${forCustomer(v.endUserId)}; its deployments are in: ${v.regions.join(", ") || "none"}. The request was not sent anywhere.`,
  },
  /** Key, team and customer regions do not intersect: nothing may serve this caller. */
  region_conflict: {
    status: 403,
    type: "permission_error",
    message: (v: {
      sources: readonly { source: string; id?: string; allowed: readonly string[] }[];
      allowed: string;
    }) =>
      `The request's region restrictions do not intersect (${v.sources
        .map((s) => `${s.source}${s.id ? ` "${s.id}"` : ""} allows ${s.allowed.join(", ")}`)
        .join("; ")}): it may be served in ${v.allowed}. The request was not sent anywhere.`,
  },
  region_capacity_exhausted: {
    status: 429,
    type: "rate_limit_error",
    message: (v: {
      group: string;
      allowed: string;
      endUserId?: string;
      blocked: keyof typeof BLOCKED_WHY;
      retryAfter: number;
    }) =>
      `Every deployment of model "${v.group}" in ${v.allowed}${forCustomer(v.endUserId)} ${BLOCKED_WHY[v.blocked]}; retry in ${v.retryAfter}s. No out-of-region deployment is used.`,
  },
  no_deployment_available: {
    status: 429,
    type: "rate_limit_error",
    message: (v: { group: string; blocked: keyof typeof BLOCKED_WHY; retryAfter: number }) =>
      `Every deployment of model "${v.group}" ${BLOCKED_WHY[v.blocked]}; retry in ${v.retryAfter}s.`,
  },
  policy_unavailable: {
    status: 503,
    type: "service_unavailable_error",
    message: (v: { id: string }) =>
      `The region policy for end user "${v.id}" could not be read (store unavailable); the request was refused rather than served unrestricted. Retry shortly.`,
  },
  store_unavailable: {
    status: 503,
    type: "service_unavailable_error",
    message: (v: { store: string }) =>
      `The customer store is unavailable (${v.store}); nothing was changed. Retry shortly.`,
  },
  /** An admin change was stored but the bus did not confirm that every instance heard of it. */
  invalidation_unconfirmed: {
    status: 503,
    type: "service_unavailable_error",
    message: (v: { id: string; deafBoundS: number; ttlS: number; what?: string }) =>
      `The change to ${v.what ?? "customer"} "${v.id}" IS stored, but the other gateway instances could not be confirmed to have been told (the message bus did not acknowledge within 1 s). An instance that cannot hear the bus stops trusting its ${v.what ?? "customer"} cache within ${v.deafBoundS} s; one that still hears it gets the change when this instance reaches the bus again, and within the ${v.what ?? "customer"} cache TTL (${v.ttlS} s) in any case. Repeating the change (an update with the same fields will do) re-sends the invalidation.`,
  },
  // ---- virtual keys, teams, internal users, budgets, rate limits (issue 14) ----
  /** LiteLLM's words; `param` carries the abbreviated key. */
  expired_key: {
    status: 401,
    type: "expired_key",
    message: (v: { expires: string; now: string }) =>
      `Authentication Error - Expired Key. Key Expiry time ${v.expires} and current time ${v.now}`,
  },
  key_blocked: {
    status: 401,
    type: "auth_error",
    message: () => "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
  },
  team_blocked: {
    status: 401,
    type: "auth_error",
    message: (v: { teamId: string }) =>
      `Authentication Error, Team=${v.teamId} is blocked. Update via \`/team/unblock\` if you're an admin.`,
  },
  /** A virtual key on a route only the master key may call. */
  admin_key_required: {
    status: 403,
    type: "auth_error",
    message: (v: { path: string }) =>
      `Only the master key may call ${v.path}; a virtual key may call GET /key/info for itself.`,
  },
  /** The key store could not be read while authenticating: refused, never let through. */
  auth_unavailable: {
    status: 503,
    type: "service_unavailable_error",
    message: () => "The key store is unavailable, so the key could not be checked; retry shortly.",
  },
  key_model_access_denied: {
    status: 403,
    type: "key_model_access_denied",
    message: (v: { model: string; allowed: readonly string[] }) =>
      `key not allowed to access model. This key can only access models=${JSON.stringify(v.allowed)}. Tried to access ${v.model}`,
  },
  team_model_access_denied: {
    status: 403,
    type: "team_model_access_denied",
    message: (v: { model: string; teamId: string; allowed: readonly string[] }) =>
      `team not allowed to access model. Team=${v.teamId}, Model=${v.model}. Allowed team models = ${JSON.stringify(v.allowed)}`,
  },
  budget_exceeded: {
    status: 429,
    type: "budget_exceeded",
    message: (v: { who: string; spend: number; max: number }) =>
      `Budget has been exceeded! ${v.who} Current cost: ${v.spend}, Max budget: ${v.max}`,
  },
  rate_limit_exceeded: {
    status: 429,
    type: "rate_limit_error",
    message: (v: { scope: string; id: string; kind: string; limit: number; retryAfter: number }) =>
      `Rate limit exceeded for ${v.scope}: ${v.id}. Limit type: ${v.kind}. Current limit: ${v.limit}, Remaining: 0. Retry in ${v.retryAfter}s.`,
  },
  key_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { keys: readonly string[] }) => `Key not found: ${v.keys.join(", ")}.`,
  },
  key_alias_exists: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { alias: string }) =>
      `Key with alias '${v.alias}' already exists. Unique key aliases across all keys are required.`,
  },
  key_exists: {
    status: 400,
    type: "invalid_request_error",
    message: () =>
      "A key with this value already exists. Choose another key, or leave it out to have one generated.",
  },
  team_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { ids: readonly string[] }) => `Team not found: ${v.ids.map((i) => `"${i}"`).join(", ")}.`,
  },
  team_exists: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { id: string }) => `Team id = ${v.id} already exists. Please use a different team id.`,
  },
  user_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { ids: readonly string[] }) => `User not found: ${v.ids.map((i) => `"${i}"`).join(", ")}.`,
  },
  user_exists: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { id: string }) => `User id = ${v.id} already exists.`,
  },
  /** A key may not be given more than its team: models, limits, budget, region. */
  key_exceeds_team: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { field: string; teamId: string; team: string; asked: string }) =>
      `${v.field}=${v.asked} exceeds what team "${v.teamId}" allows (${v.team}); a key cannot be given more than its team.`,
  },
  // spend log and audit (issue 15)
  spend_log_unavailable: {
    status: 503,
    type: "service_unavailable_error",
    message: (v: { what: string }) =>
      `The spend log could not be read (${v.what}: store unavailable). Records are still kept and written when it recovers. Retry shortly.`,
  },
  spend_logs_disabled: {
    status: 404,
    type: "not_found_error",
    message: () => "Spend logs are disabled on this gateway (general_settings.disable_spend_logs).",
  },
  // Responses API follow-ups (src/responses/): an id names state held by one deployment
  response_not_found: {
    status: 404,
    type: "invalid_request_error",
    message: (v: { id: string; gone?: string }) =>
      v.gone
        ? `Response with id '${v.id}' not found: it was created by deployment ${v.gone}, which this gateway no longer serves.`
        : `Response with id '${v.id}' not found.`,
  },
  response_region_forbidden: {
    status: 403,
    type: "permission_error",
    message: (v: { id: string; deployment: string; geography: string | null; allowed: string }) =>
      `Response '${v.id}' is held by deployment ${v.deployment} (${v.geography ? `region "${v.geography}"` : "no region assigned"}), which your ${v.allowed} does not allow; its state cannot be used or moved elsewhere, so the request was refused and nothing was sent.`,
  },
  response_not_cancellable: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { id: string }) =>
      `Response '${v.id}' cannot be cancelled: only background responses can, and it was already completed.`,
  },
  affinity_unavailable: {
    status: 503,
    type: "service_unavailable_error",
    message: (v: { id: string }) =>
      `Where '${v.id}' is held could not be read (store unavailable); the request was refused rather than sent to a deployment that may not hold it. Retry shortly.`,
  },
  // upstream: `what` names the deployment; an upstream's own message, when it sent one, is passed through instead
  upstream_error: { status: 502, type: "api_error", message: upstreamStatus },
  // upstream answered with an error and no code of its own; the status is passed through
  upstream_bad_request: { status: 400, type: "invalid_request_error", message: upstreamStatus },
  upstream_auth_error: { status: 401, type: "auth_error", message: upstreamStatus },
  upstream_not_found: { status: 404, type: "not_found_error", message: upstreamStatus },
  upstream_rate_limited: { status: 429, type: "rate_limit_error", message: upstreamStatus },
  upstream_connection_error: {
    status: 502,
    type: "api_error",
    message: (v: { what: string; detail: string }) => `${v.what} could not be reached (${v.detail})`,
  },
  upstream_timeout: {
    status: 504,
    type: "timeout_error",
    message: (v: { what: string } | { what: string; status: number }) =>
      "status" in v ? upstreamStatus(v) : `${v.what} timed out`,
  },
  upstream_invalid_response: {
    status: 502,
    type: "api_error",
    message: (v: { what: string; why: string }) => `${v.what} answered with ${v.why}`,
  },
  // vertex: the deployment's service account got no OAuth token (its fault, never the client's)
  upstream_credentials_failed: {
    status: 401,
    type: "auth_error",
    message: (v: { what: string; why: string }) =>
      `${v.what} could not get an access token with its credentials (${v.why})`,
  },
  // vertex: a request the provider's wire format cannot express (checked before anything is sent)
  untranslatable_request: {
    status: 400,
    type: "invalid_request_error",
    message: (v: { provider: string; why: string }) =>
      `This request cannot be sent to ${v.provider}: ${v.why}`,
  },
  client_closed_request: { status: 499, type: "api_error", message: () => "client closed the request" },
  shutting_down: {
    status: 503,
    type: "service_unavailable_error",
    message: () => "The gateway is shutting down; retry on another instance.",
  },
  internal_error: {
    status: 500,
    type: "api_error",
    message: (
      v:
        | { reason: "routing"; method: string | undefined; path: string }
        | { reason: "handling"; what: string }
        | { reason: "invariant" }
        | { reason: "prepare"; what: string; tooDeep: boolean },
    ) => {
      switch (v.reason) {
        case "routing":
          return `Internal error while routing ${v.method} ${v.path}.`;
        case "handling":
          return `Internal error while handling ${v.what}; see the gateway log.`;
        case "invariant":
          return "routing invariant violated; request refused";
        case "prepare":
          return `The gateway could not prepare the request for ${v.what}: ${v.tooDeep ? "the request is too deeply nested to serialise" : "see the gateway log"}.`;
      }
    },
  },
} as const satisfies Record<string, { status: number; type: string; message: (v: never) => string }>;

export type ErrorCode = keyof typeof ERRORS;

type Template<C extends ErrorCode> = (typeof ERRORS)[C]["message"];

/** The values code `C`'s message needs; `undefined` for a fixed message. */
export type ErrorValues<C extends ErrorCode> =
  Parameters<Template<C>> extends [] ? undefined : Parameters<Template<C>>[0];

export interface ErrorOptions {
  param?: string | null;
  /** Only where one code answers with more than one status (invalid_url: 414 for a too-long segment). */
  status?: number;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

/** A fixed message takes no values; every other code must be given exactly the values its template names. */
type ValueArgs<C extends ErrorCode> =
  ErrorValues<C> extends undefined ? [values?: undefined] : [values: ErrorValues<C>];

/** The message code `C` shows for `values`. Also for failures that are not GatewayErrors (upstream attempts). */
export function errorMessage<C extends ErrorCode>(code: C, ...args: ValueArgs<C>): string {
  return (ERRORS[code].message as (v: unknown) => string)(args[0]);
}

/** The one way to build a client-facing error: the registry gives status, type and message. */
export function gatewayError<C extends ErrorCode>(
  code: C,
  ...args: [...ValueArgs<C>, opts?: ErrorOptions]
): GatewayError {
  const message = (ERRORS[code].message as (v: unknown) => string)(args[0]);
  return new GatewayError(code, message, args[1] as ErrorOptions | undefined);
}

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

  /** Call sites use gatewayError(code, values); this takes a finished message from the registry. */
  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message);
    this.name = "GatewayError";
    this.code = code;
    this.status = opts.status ?? ERRORS[code].status;
    this.type = ERRORS[code].type;
    this.param = opts.param ?? null;
    this.headers = opts.headers;
  }

  /** The same error with more response headers (e.g. the call id of a refused request). */
  withHeaders(headers: Record<string, string>): GatewayError {
    return new GatewayError(this.code, this.message, {
      param: this.param,
      status: this.status,
      headers: { ...this.headers, ...headers },
    });
  }

  toJSON(): ErrorEnvelope {
    return envelope(this.message, this.type, this.param, this.code);
  }
}

export function envelope(message: string, type: string, param: string | null, code: string): ErrorEnvelope {
  return { error: { message, type, param, code } };
}

export type UpstreamStatusCode =
  | "upstream_auth_error"
  | "upstream_not_found"
  | "upstream_timeout"
  | "upstream_rate_limited"
  | "upstream_bad_request"
  | "upstream_error";

/**
 * Registry code for an upstream error that brought no code of its own (or only a number).
 * `upstream_auth_error` makes plain that the *deployment's* credentials were refused, not the client's.
 */
export function upstreamCodeFor(status: number): UpstreamStatusCode {
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
