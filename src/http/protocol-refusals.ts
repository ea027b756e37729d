import type { IncomingMessage, ServerResponse } from "node:http";
import { type GatewayError, gatewayError } from "../errors.js";
import type { Accounting } from "../pipeline/account.js";
import { refuseEarly } from "./early-refusal.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Requests node itself would refuse with a bare status and an empty body, answered in the envelope
 * instead, with a call id and a spend-log record like every other refusal (issue 15). What the
 * request was for is not read: its operation is "unknown", as for a parser error (client-error.ts).
 * The connection is closed: the client broke the protocol, and any body it sent is not read.
 */
function refuse(acc: Accounting, res: ServerResponse, e: GatewayError): void {
  refuseEarly(acc, res, e.withHeaders({ connection: "close" }), {
    op: "unknown",
    principal: undefined,
    started: performance.now(),
  });
}

/** The server's 'checkExpectation' listener: an HTTP/1.1 Expect other than 100-continue. */
export function refuseExpectation(acc: Accounting): Handler {
  return (_req, res) => refuse(acc, res, gatewayError("expectation_failed"));
}

/**
 * HTTP/1.1 requires Host (RFC 9112 §3.2). The server is created with requireHostHeader: false, so
 * node's own empty 400 never goes out; this answers it. HTTP/1.0 has no such rule and is served.
 */
export function requireHost(acc: Accounting, next: Handler): Handler {
  return (req, res) => {
    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1)
      return refuse(
        acc,
        res,
        gatewayError("invalid_request", {
          reason: "malformed_http",
          detail: "HTTP/1.1 requires a Host header",
        }),
      );
    next(req, res);
  };
}
