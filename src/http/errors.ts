import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.js";
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
        return sendFailure(
          reply,
          new GatewayError("invalid_json", `Request body is not valid JSON: ${fe.message}`),
        );
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return sendFailure(
          reply,
          new GatewayError(
            "body_too_large",
            "Request body is larger than the configured limit (general_settings.max_request_size_mb).",
          ),
        );
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return sendFailure(
          reply,
          new GatewayError("unsupported_media_type", "Unsupported content type; send application/json."),
        );
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        return sendFailure(
          reply,
          new GatewayError("invalid_request", "Content-Length does not match the body."),
        );
    }
    if (err instanceof SyntaxError || fe.statusCode === 400) {
      return sendFailure(
        reply,
        new GatewayError("invalid_json", `Request body is not valid JSON: ${err.message}`),
      );
    }
    if (fe.statusCode === 413)
      return sendFailure(reply, new GatewayError("body_too_large", "Request body is too large."));
    log.error({ err, url: req.url, method: req.method }, "unhandled error");
    return sendFailure(
      reply,
      new GatewayError(
        "internal_error",
        `Internal error while handling ${req.method} ${req.routeOptions.url ?? req.url}; see the gateway log.`,
      ),
    );
  };
}
