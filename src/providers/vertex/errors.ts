import type { IncomingHttpHeaders } from "node:http";
import { type AttemptFailure, failureFromResponse } from "../../upstream/errors.js";

/** Google's error shape: `{"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED"}}`. */
interface GoogleError {
  code?: unknown;
  message?: unknown;
  status?: unknown;
}

const BAD_KEY = /API key not valid|API_KEY_INVALID/i;
const CONTEXT = /input token count .*exceeds the maximum|exceeds the maximum number of tokens/i;

/**
 * A Google API error answer (Vertex AI or AI Studio) -> a failure. The body may be the object or, from
 * a non-SSE stream call, a one-element array of it. Google's message is kept, its HTTP status decides
 * the retry class as for any upstream; an over-long prompt is OpenAI's `context_length_exceeded`.
 */
export function mapGoogleError(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  what: string,
): AttemptFailure {
  let e: GoogleError | undefined;
  try {
    const v = JSON.parse(body.toString("utf8")) as unknown;
    const o = (Array.isArray(v) ? v[0] : v) as { error?: GoogleError } | undefined;
    e = o?.error && typeof o.error === "object" ? o.error : undefined;
  } catch {
    e = undefined; // not JSON: the generic message for the status
  }
  if (!e || typeof e.message !== "string") return failureFromResponse(status, headers, body, what);
  const openai: Record<string, unknown> = { message: `${what}: ${e.message}` };
  if (status === 400 && CONTEXT.test(e.message)) openai.code = "context_length_exceeded";
  // AI Studio refuses a bad key with 400 INVALID_ARGUMENT: it is the deployment's key, not the request.
  const s = status === 400 && BAD_KEY.test(e.message) ? 401 : status;
  return failureFromResponse(s, headers, Buffer.from(JSON.stringify({ error: openai })), what);
}

/** An `{"error": …}` event inside a 200 stream: its own code is the status it would have had. */
export function googleErrorFailure(
  v: { error?: unknown },
  fallbackStatus: number,
  what: string,
): AttemptFailure {
  const e = (v.error ?? {}) as GoogleError;
  const status = typeof e.code === "number" && e.code >= 400 && e.code < 600 ? e.code : fallbackStatus;
  return mapGoogleError(status, {}, Buffer.from(JSON.stringify({ error: e })), what);
}
