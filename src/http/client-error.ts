import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { type GatewayError, gatewayError } from "../errors.js";
import { newCallId } from "../ids/call-id.js";
import type { Accounting } from "../pipeline/account.js";
import { accountEarly } from "./early-refusal.js";
import { sendFailure } from "./errors.js";

/** node's HTTP parser codes (llhttp), by what the client got wrong. */
const HEADER_ERRORS = new Set([
  "HPE_INVALID_HEADER_TOKEN",
  "HPE_INVALID_CONTENT_LENGTH",
  "HPE_UNEXPECTED_CONTENT_LENGTH",
  "HPE_INVALID_TRANSFER_ENCODING",
  "HPE_INVALID_CHUNK_SIZE",
  "HPE_LF_EXPECTED",
  "HPE_CR_EXPECTED",
]);

/** The envelope for a parser error, or undefined when nobody is left to answer. */
export function classifyClientError(code: string | undefined, reason?: string): GatewayError | undefined {
  if (code === "ECONNRESET" || code === "EPIPE") return undefined;
  if (code === "HPE_HEADER_OVERFLOW") return gatewayError("header_too_large");
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return gatewayError("request_timeout");
  if (code === "HPE_INVALID_URL") return gatewayError("invalid_url", { reason: "request_line" });
  // llhttp's reason ("Invalid header value char") is a fixed string, never the client's bytes
  const detail = reason && /^[\w ,.:'-]{1,100}$/.test(reason) ? reason : undefined;
  if (code !== undefined && HEADER_ERRORS.has(code)) return gatewayError("invalid_header", { detail });
  return gatewayError("invalid_request", { reason: "malformed_http", detail });
}

/**
 * Fastify's clientErrorHandler: node found the request unparsable (bad header bytes, oversized
 * headers, conflicting Content-Length and Transfer-Encoding, a bad request line) or it timed out.
 * There is no request or response object, so the answer is written raw, and the connection closed
 * because the parser cannot find the next request. Nothing is written into a response already
 * under way on this socket (a pipelined request after a stream). An answered refusal carries a call
 * id and, like every other refusal, leaves a log line and a spend-log record (issue 15); its
 * operation is "unknown": what the request was is what could not be read.
 */
export function clientErrorHandler(acc?: Accounting) {
  return (err: Error & { code?: string; reason?: string }, socket: Socket): void => {
    const started = performance.now();
    const e = classifyClientError(err.code, err.reason);
    const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!e || socket.destroyed || !socket.writable || busy?.headersSent) {
      socket.destroy();
      return;
    }
    const callId = newCallId();
    const body = JSON.stringify(e.toJSON());
    socket.end(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\n` +
        "content-type: application/json; charset=utf-8\r\n" +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `x-litellm-call-id: ${callId}\r\n` +
        "connection: close\r\n\r\n" +
        body,
    );
    // a client that never reads must not hold the socket open
    socket.setTimeout(5_000, () => socket.destroy());
    if (acc) accountEarly(acc, callId, e, { op: "unknown", principal: undefined, started });
  };
}

/** Fastify's frameworkErrors: errors its router raises before any route or hook runs. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  let e: GatewayError;
  if (err.code === "FST_ERR_BAD_URL") e = gatewayError("invalid_url", { reason: "percent_encoding" });
  else if (err.code === "FST_ERR_MAX_PARAM_LENGTH")
    e = gatewayError("invalid_url", { reason: "segment_too_long" }, { status: 414 });
  else
    e = gatewayError("internal_error", {
      reason: "routing",
      method: req.method,
      path: (req.url ?? "").split("?")[0].slice(0, 200),
    });
  sendFailure(reply, e);
}
