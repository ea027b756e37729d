import type { IncomingHttpHeaders } from "node:http";
import type { Deployment } from "../../router/deployment.js";
import type { AttemptFailure } from "../../upstream/errors.js";
import { anthropicFailure } from "../anthropic/errors.js";
import { anthropicBody, effectiveBody, isJsonMode } from "../anthropic/request.js";
import { decodeMessage } from "../anthropic/response.js";
import { AnthropicTranslator } from "../anthropic/stream.js";
import type { AttemptInput, Decoded, StreamTranslator } from "../contract.js";
import { mapGoogleError } from "./errors.js";

/**
 * Claude on Vertex AI (`vertex_ai/claude-…`): Anthropic's Messages API behind Google's front end, at
 * publishers/anthropic/models/{m}:rawPredict (:streamRawPredict). The body is the Messages body of
 * src/providers/anthropic without `model` (it is in the path) and with `anthropic_version`
 * `vertex-2023-10-16`; answers, streams and the model's own errors are Anthropic's.
 */
export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

export function isClaude(upstreamModel: string): boolean {
  return /^claude/i.test(upstreamModel);
}

export function claudeBody(d: Deployment, a: AttemptInput): string {
  const { model: _model, inference_geo: _geo, ...rest } = anthropicBody(d, a.body, a.stream);
  return JSON.stringify({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest });
}

export function claudeDecode(d: Deployment, a: AttemptInput, raw: Buffer): Decoded {
  return decodeMessage(d, raw, isJsonMode(effectiveBody(d, a.body)));
}

export function claudeStream(d: Deployment, a: AttemptInput): StreamTranslator {
  return new AnthropicTranslator(d, isJsonMode(effectiveBody(d, a.body)));
}

/**
 * Errors come in two shapes: Google's front end (quota, auth, a model not enabled) answers in Google's,
 * the model itself in Anthropic's (`{"type": "error", …}`, incl. 529 overloaded).
 */
export function vertexError(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  what: string,
): AttemptFailure {
  let anthropic = false;
  try {
    anthropic = (JSON.parse(body.toString("utf8")) as { type?: unknown })?.type === "error";
  } catch {
    anthropic = false;
  }
  return anthropic
    ? anthropicFailure(status, headers, body, what)
    : mapGoogleError(status, headers, body, what);
}
