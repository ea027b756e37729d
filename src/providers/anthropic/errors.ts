import type { IncomingHttpHeaders } from "node:http";
import { type AttemptFailure, failureFromResponse } from "../../upstream/errors.js";

/** Anthropic error types -> the HTTP status they come with (an error event after a 200 has none). */
const STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * 529 overloaded is Anthropic's own status: retryable and cooling like a 5xx. Clients get 503, which
 * every OpenAI SDK knows to retry, with Anthropic's message.
 */
const OVERLOADED = 529;

interface AnthropicErrorBody {
  type?: string;
  error?: { type?: string; message?: string };
}

/** An Anthropic error answer (`{"type":"error","error":{"type","message"}}`) in OpenAI's terms. */
export function anthropicFailure(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  what: string,
): AttemptFailure {
  let parsed: AnthropicErrorBody | undefined;
  try {
    parsed = JSON.parse(body.toString("utf8")) as AnthropicErrorBody;
  } catch {
    parsed = undefined; // not JSON: the generic message for the status, never the raw bytes
  }
  return failureOf(status, parsed?.error, withRateLimitHeaders(headers), what);
}

/** An `event: error` inside a stream that began with 200. */
export function streamErrorFailure(data: string, what: string): AttemptFailure {
  let err: AnthropicErrorBody["error"];
  try {
    err = (JSON.parse(data) as AnthropicErrorBody).error;
  } catch {
    err = undefined;
  }
  const status = (err?.type && STATUS[err.type]) || 500;
  return failureOf(status, err, {}, what);
}

function failureOf(
  status: number,
  err: AnthropicErrorBody["error"],
  headers: IncomingHttpHeaders,
  what: string,
): AttemptFailure {
  const shown = status === OVERLOADED ? 503 : status;
  const message =
    typeof err?.message === "string" && err.message !== ""
      ? `${what}: ${err.message}${err.type ? ` (anthropic ${err.type})` : ""}`
      : undefined;
  // A prompt over the model's window is the request's fault and may fall back to a larger model.
  const code =
    err?.message && /prompt is too long/i.test(err.message) ? "context_length_exceeded" : undefined;
  const openai = message ? { error: { message, ...(code ? { code } : {}) } } : {};
  return failureFromResponse(shown, headers, Buffer.from(JSON.stringify(openai)), what);
}

/** Anthropic's rate-limit headers under the x-ratelimit-* names OpenAI clients read (as LiteLLM does). */
function withRateLimitHeaders(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const map: Record<string, string> = {
    "anthropic-ratelimit-requests-limit": "x-ratelimit-limit-requests",
    "anthropic-ratelimit-requests-remaining": "x-ratelimit-remaining-requests",
    "anthropic-ratelimit-tokens-limit": "x-ratelimit-limit-tokens",
    "anthropic-ratelimit-tokens-remaining": "x-ratelimit-remaining-tokens",
  };
  let out: IncomingHttpHeaders | undefined;
  for (const [from, to] of Object.entries(map)) {
    if (h[from] === undefined || h[to] !== undefined) continue;
    out ??= { ...h };
    out[to] = h[from];
  }
  return out ?? h;
}
