import type { Provider } from "../contract.js";
import { splitBase } from "../openai-body.js";
import { anthropicFailure } from "./errors.js";
import { anthropicBody, effectiveBody, isJsonMode } from "./request.js";
import { decodeMessage } from "./response.js";
import { AnthropicTranslator } from "./stream.js";

export const ANTHROPIC_VERSION = "2023-06-01";
export const DEFAULT_ANTHROPIC_BASE = "https://api.anthropic.com";

/**
 * `anthropic/<model>`: the Messages API, translated both ways. api_base may be the host
 * (`https://api.anthropic.com`), end in `/v1`, or be the full `/v1/messages` URL (LiteLLM takes all three).
 */
export const anthropicProvider: Provider = {
  contract: 2,
  passthrough: false,
  framing: "sse",
  operations: new Set(["chat"]),
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const path = basePath.endsWith("/v1/messages")
      ? basePath
      : basePath.endsWith("/v1")
        ? `${basePath}/messages`
        : `${basePath}/v1/messages`;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "anthropic-version": ANTHROPIC_VERSION,
      ...d.extraHeaders,
    };
    if (d.apiKey) headers["x-api-key"] = d.apiKey;
    return { origin, paths: { chat: path }, headers };
  },
  prepare(d, t, a) {
    return {
      path: t.paths.chat as string,
      headers: t.headers,
      body: JSON.stringify(anthropicBody(d, a.body, a.stream)),
    };
  },
  decode(d, a, body) {
    return decodeMessage(d, body, isJsonMode(effectiveBody(d, a.body)));
  },
  stream(d, a) {
    return new AnthropicTranslator(d, isJsonMode(effectiveBody(d, a.body)));
  },
  mapError: anthropicFailure,
};
