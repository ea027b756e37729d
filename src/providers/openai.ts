import type { Provider } from "./types.js";
import { serializeWithModel, splitBase } from "./types.js";

/** OpenAI and every server that speaks its wire format (`api_base` given). */
export const openaiProvider: Provider = {
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const headers: Record<string, string> = { "content-type": "application/json", ...d.extraHeaders };
    if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
    return {
      origin,
      paths: {
        chat: `${basePath}/chat/completions`,
        completions: `${basePath}/completions`,
        embeddings: `${basePath}/embeddings`,
      },
      headers,
    };
  },
  body(d, _op, req) {
    return serializeWithModel(req, d.upstreamModel, d.requestDefaults);
  },
};
