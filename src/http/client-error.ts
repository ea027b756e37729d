import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, GatewayError } from "../errors.js";
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

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  header_too_large: "Request headers are larger than the server accepts.",
  request_timeout: "The request was not received in time.",
  invalid_url: "The request line has an invalid URL.",
};

/** The envelope for a parser error, or undefined when nobody is left to answer. */
export function classifyClientError(code: string | undefined, reason?: string): GatewayError | undefined {
  if (code === "ECONNRESET" || code === "EPIPE") return undefined;
  let c: ErrorCode = "invalid_request";
  if (code === "HPE_HEADER_OVERFLOW") c = "header_too_large";
  else if (code === "ERR_HTTP_REQUEST_TIMEOUT") c = "request_timeout";
  else if (code === "HPE_INVALID_URL") c = "invalid_url";
  else if (code !== undefined && HEADER_ERRORS.has(code)) c = "invalid_header";
  // llhttp's reason ("Invalid header value char") is a fixed string, never the client's bytes
  const detail = reason && /^[\w ,.:'-]{1,100}$/.test(reason) ? ` (${reason})` : "";
  const message =
    c === "invalid_header"
      ? `Malformed request header or framing${detail}.`
      : (MESSAGES[c] ?? `Malformed HTTP request${detail}.`);
  return new GatewayError(c, message);
}

/**
 * Fastify's clientErrorHandler: node found the request unparsable (bad header bytes, oversized
 * headers, conflicting Content-Length and Transfer-Encoding, a bad request line) or it timed out.
 * There is no request or response object, so the answer is written raw, and the connection closed
 * because the parser cannot find the next request. Nothing is written into a response already
 * under way on this socket (a pipelined request after a stream).
 */
export function clientErrorHandler(err: Error & { code?: string; reason?: string }, socket: Socket): void {
  const e = classifyClientError(err.code, err.reason);
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!e || socket.destroyed || !socket.writable || busy?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(e.toJSON());
  socket.end(
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\n` +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
  // a client that never reads must not hold the socket open
  socket.setTimeout(5_000, () => socket.destroy());
}

/** Fastify's frameworkErrors: errors its router raises before any route or hook runs. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  let e: GatewayError;
  if (err.code === "FST_ERR_BAD_URL")
    e = new GatewayError("invalid_url", "The request URL has an invalid percent-encoding.");
  else if (err.code === "FST_ERR_MAX_PARAM_LENGTH")
    e = new GatewayError("invalid_url", "A path segment of the request URL is too long.", { status: 414 });
  else
    e = new GatewayError(
      "internal_error",
      `Internal error while routing ${req.method} ${(req.url ?? "").split("?")[0].slice(0, 200)}.`,
    );
  sendFailure(reply, e);
}
