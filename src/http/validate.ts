import { type GatewayError, gatewayError } from "../errors.js";
import type { Operation, SurfaceOperation } from "../router/deployment.js";
import { isSurfaceOperation } from "../surface/operations.js";
import { validateSurface } from "../surface/validate.js";

/**
 * Just enough checking to route safely and give a clear 400; the upstream validates the rest.
 * Returns the body typed as an object.
 */
export function validateBody(
  op: Operation,
  body: unknown,
  pathModel: string | undefined,
): Record<string, unknown> {
  // files and batches: the upstream checks their bodies; a GET has none.
  if (op === "files" || op === "batches")
    return body !== null && typeof body === "object" ? (body as Record<string, unknown>) : {};
  if (body === undefined || body === null || body === "") {
    throw gatewayError("invalid_request", { reason: "empty_body" }, { param: null });
  }
  if (typeof body !== "object" || Array.isArray(body)) {
    throw gatewayError("invalid_request", { reason: "not_object" }, { param: null });
  }
  const b = body as Record<string, unknown>;
  // moderations may leave the model out (OpenAI picks its default): pipeline/model.ts chooses a group.
  if (pathModel === undefined && !(op === "moderations" && b.model === undefined)) {
    if (b.model === undefined || b.model === null || b.model === "") throw missing("model");
    if (typeof b.model !== "string") throw wrongType("model", "a string", b.model);
  }
  if (op === "chat") {
    if (b.messages === undefined) throw missing("messages");
    if (!Array.isArray(b.messages)) throw wrongType("messages", "an array", b.messages);
    if (b.messages.length === 0)
      throw gatewayError("invalid_request", { reason: "no_messages" }, { param: "messages" });
    for (let i = 0; i < b.messages.length; i++) {
      const m = b.messages[i] as Record<string, unknown> | null;
      if (!m || typeof m !== "object" || typeof m.role !== "string") {
        throw gatewayError(
          "invalid_request",
          { reason: "bad_message", index: i },
          { param: `messages[${i}]` },
        );
      }
    }
  } else if (op === "completions") {
    if (b.prompt === undefined) throw missing("prompt");
    if (typeof b.prompt !== "string" && !Array.isArray(b.prompt))
      throw wrongType("prompt", "a string or an array", b.prompt);
  } else if (op === "responses") {
    // input may be absent (a stored prompt, or only previous_response_id); the upstream decides
    if (b.input !== undefined && typeof b.input !== "string" && !Array.isArray(b.input))
      throw wrongType("input", "a string or an array", b.input);
    const prev = b.previous_response_id;
    if (prev !== undefined && prev !== null && typeof prev !== "string")
      throw wrongType("previous_response_id", "a string", prev);
  } else if (isSurfaceOperation(op)) {
    validateSurface(op as SurfaceOperation, b);
  } else {
    if (b.input === undefined) throw missing("input");
    if (typeof b.input !== "string" && !Array.isArray(b.input))
      throw wrongType("input", "a string or an array", b.input);
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean")
    throw wrongType("stream", "a boolean", b.stream);
  if (b.user !== undefined && b.user !== null && typeof b.user !== "string")
    throw wrongType("user", "a string", b.user);
  return b;
}

function missing(param: string): GatewayError {
  return gatewayError("invalid_request", { reason: "missing", param }, { param });
}

function wrongType(param: string, expected: string, got: unknown): GatewayError {
  const kind = got === null ? "null" : Array.isArray(got) ? "array" : typeof got;
  return gatewayError("invalid_request", { reason: "wrong_type", param, expected, got: kind }, { param });
}
