import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { GatewayError, gatewayError } from "../errors.js";
import type { AttemptFailure } from "../upstream/errors.js";
import { failureReply } from "./failure.js";

/** Send a GatewayError or a final upstream failure as an OpenAI error envelope. */
export function sendFailure(
  reply: FastifyReply,
  e: GatewayError | AttemptFailure,
  extra?: Record<string, string>,
): void {
  const f = failureReply(e, extra);
  reply.headers(f.headers).code(f.status).send(f.body);
}

/**
 * Everything thrown in a route lands here. Fastify's own errors (bad JSON, too large, wrong media
 * type) get our codes; anything unexpected is a 500 with the call id and no stack.
 */
export function errorHandler(log: { error: (o: object, m: string) => void }) {
  return (err: FastifyError | GatewayError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof GatewayError) return sendFailure(reply, err);
    const fe = err as FastifyError;
    switch (fe.code) {
      case "FST_ERR_CTP_INVALID_JSON_BODY":
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return sendFailure(reply, gatewayError("invalid_json", { detail: fe.message }));
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return sendFailure(reply, gatewayError("body_too_large", { limit: true }));
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return sendFailure(reply, gatewayError("unsupported_media_type", { reason: "parser" }));
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        return sendFailure(reply, gatewayError("invalid_request", { reason: "content_length" }));
    }
    if (err instanceof SyntaxError || fe.statusCode === 400) {
      return sendFailure(reply, gatewayError("invalid_json", { detail: err.message }));
    }
    if (fe.statusCode === 413) return sendFailure(reply, gatewayError("body_too_large", { limit: false }));
    log.error({ err, url: req.url, method: req.method }, "unhandled error");
    return sendFailure(
      reply,
      gatewayError("internal_error", {
        reason: "handling",
        what: `${req.method} ${req.routeOptions.url ?? req.url}`,
      }),
    );
  };
}
