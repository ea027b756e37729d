import { failureFromResponse } from "../upstream/errors.js";
import type { Provider } from "./contract.js";
import { ALL_OPERATIONS, openaiBody, splitBase } from "./openai-body.js";

/**
 * Azure OpenAI: the deployment name is in the path, the version in the query, the key in `api-key`.
 * An api_base that already ends in /openai is accepted as well as the bare resource URL. Passthrough.
 */
export const azureProvider: Provider = {
  contract: 2,
  passthrough: true,
  framing: "sse",
  operations: ALL_OPERATIONS,
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
  prepare(d, t, a) {
    return {
      path: t.paths[a.op] as string,
      headers: t.headers,
      body: openaiBody(d, a, azureStreamsUsage(d.apiVersion)),
    };
  },
  mapError: failureFromResponse,
};

/**
 * Azure accepts `stream_options` from API version 2024-09-01-preview on; older versions refuse the
 * whole request with a 400, so their streams are not asked for usage (their tokens are estimated).
 */
export function azureStreamsUsage(apiVersion: string | undefined): boolean {
  return apiVersion !== undefined && apiVersion.slice(0, 10) >= "2024-09-01";
}
