import type { ServerResponse } from "node:http";
import { type ErrorEnvelope, envelope, GatewayError } from "../errors.js";
import type { AttemptFailure } from "../upstream/errors.js";

export interface FailureReply {
  status: number;
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

/**
 * The one shape of an error answer, for Fastify replies and raw responses alike: status, the
 * envelope, and headers (caller's extras, the error's own, an upstream's pass-through, Retry-After).
 */
export function failureReply(e: GatewayError | AttemptFailure, extra?: Record<string, string>): FailureReply {
  const headers: Record<string, string> = { ...extra };
  if (e instanceof GatewayError) {
    if (e.headers) Object.assign(headers, e.headers);
    return { status: e.status, headers, body: e.toJSON() };
  }
  if (e.passHeaders) Object.assign(headers, e.passHeaders);
  if (e.retryAfterMs !== undefined && (e.status === 429 || e.status === 503))
    headers["retry-after"] = String(Math.ceil(e.retryAfterMs / 1000));
  return { status: e.status, headers, body: envelope(e.message, e.type, e.param, e.code) };
}

/** Failure classes an SDK retries by status (408/429/5xx) and the gateway retries too. */
const RETRYABLE = new Set(["rate_limit", "timeout", "server", "connection"]);

/**
 * `x-should-retry` for a final failure, which the OpenAI SDKs obey before looking at the status.
 * When the gateway has already made more than one attempt for a retryable class and gives the
 * client no Retry-After, the SDK's own retries would only multiply the upstream's load (3 SDK
 * tries x 3 gateway tries = 9 calls): "false". With a Retry-After (the upstream's, or our
 * region_capacity_exhausted) a later try is sensible, and the SDK already retries 429/5xx waiting
 * that long: no header. A single attempt leaves the SDK's retries as they are.
 */
export function retryAdvice(
  e: GatewayError | AttemptFailure,
  attemptsMade: number,
): Record<string, string> | undefined {
  if (e instanceof GatewayError || attemptsMade < 2 || !RETRYABLE.has(e.kind)) return undefined;
  if (e.retryAfterMs !== undefined && (e.status === 429 || e.status === 503)) return undefined;
  return { "x-should-retry": "false" };
}

/** Write an error envelope straight to node's response (the proxy path, which bypasses Fastify). */
export function writeFailure(
  res: ServerResponse,
  e: GatewayError | AttemptFailure,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const f = failureReply(e, extra);
  const payload = JSON.stringify(f.body);
  f.headers["content-type"] = "application/json; charset=utf-8";
  f.headers["content-length"] = String(Buffer.byteLength(payload));
  res.writeHead(f.status, f.headers);
  res.end(payload);
}
