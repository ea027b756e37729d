import type { Provider } from "./types.js";
import { serializeWithModel, splitBase } from "./types.js";

/**
 * Azure OpenAI: the deployment name is in the path, the version in the query, the key in `api-key`.
 * An api_base that already ends in /openai is accepted as well as the bare resource URL.
 */
export const azureProvider: Provider = {
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const root = basePath.endsWith("/openai") ? basePath : `${basePath}/openai`;
    const dep = `${root}/deployments/${encodeURIComponent(d.upstreamModel)}`;
    const q = `?api-version=${encodeURIComponent(d.apiVersion ?? "")}`;
    const headers: Record<string, string> = { "content-type": "application/json", ...d.extraHeaders };
    if (d.apiKey) headers["api-key"] = d.apiKey;
    return {
      origin,
      paths: {
        chat: `${dep}/chat/completions${q}`,
        completions: `${dep}/completions${q}`,
        embeddings: `${dep}/embeddings${q}`,
      },
      headers,
    };
  },
  body(d, _op, req) {
    return serializeWithModel(req, d.upstreamModel, d.requestDefaults);
  },
};
