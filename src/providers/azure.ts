import { failureFromResponse } from "../upstream/errors.js";
import type { Provider } from "./contract.js";
import { ALL_OPERATIONS, objectRequest, openaiBody, splitBase } from "./openai-body.js";

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
        responses: azureResponsesPath(root, d.apiVersion),
      },
      headers,
    };
  },
  prepare(d, t, a) {
    if (a.object) {
      const p = t.paths[a.op] as string;
      const at = p.indexOf("?");
      return objectRequest(p.slice(0, at), p.slice(at + 1), t.headers, a.object, a.body);
    }
    return {
      path: t.paths[a.op] as string,
      headers: t.headers,
      body: openaiBody(d, a, azureStreamsUsage(d.apiVersion)),
    };
  },
  mapError: failureFromResponse,
};

/**
 * Azure's Responses API is not per deployment: `{resource}/openai/responses?api-version=…` (from
 * 2025-03-01-preview; an older configured version is raised to that one, since it cannot serve
 * /responses at all), or the v1 surface `{resource}/openai/v1/responses` when api_version is
 * "v1", "latest" or "preview" (as LiteLLM and @ai-sdk/azure name it). The model goes in the body.
 */
export function azureResponsesPath(root: string, apiVersion: string | undefined): string {
  const v = apiVersion ?? "";
  if (v === "v1" || v === "latest") return `${root}/v1/responses?api-version=preview`;
  if (v === "preview") return `${root}/v1/responses?api-version=preview`;
  const dated = v.slice(0, 10) >= "2025-03-01" ? v : "2025-03-01-preview";
  return `${root}/responses?api-version=${encodeURIComponent(dated)}`;
}

/**
 * Azure accepts `stream_options` from API version 2024-09-01-preview on; older versions refuse the
 * whole request with a 400, so their streams are not asked for usage (their tokens are estimated).
 */
export function azureStreamsUsage(apiVersion: string | undefined): boolean {
  return apiVersion !== undefined && apiVersion.slice(0, 10) >= "2024-09-01";
}
