import { isObjectOperation } from "../surface/operations.js";
import { failureFromResponse } from "../upstream/errors.js";
import type { Provider } from "./contract.js";
import {
  ALL_OPERATIONS,
  formRequest,
  objectRequest,
  openaiBody,
  operationPaths,
  splitBase,
  storedObjectRequest,
} from "./openai-body.js";

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
    const headers: Record<string, string> = { "content-type": "application/json", ...d.extraHeaders };
    if (d.apiKey) headers["api-key"] = d.apiKey;
    // Azure's v1 API (api_version v1 / latest / preview): OpenAI's paths under /openai/v1, the
    // deployment named in the body's `model`, no dated api-version (LiteLLM does the same).
    const paths = azureV1(d.apiVersion)
      ? operationPaths(`${root}/v1`, d.apiVersion === "preview" ? "?api-version=preview" : "")
      : operationPaths(
          `${root}/deployments/${encodeURIComponent(d.upstreamModel)}`,
          `?api-version=${encodeURIComponent(d.apiVersion ?? "")}`,
        );
    if (!azureV1(d.apiVersion)) {
      // Files and batches belong to the resource, not to a deployment.
      const q = `?api-version=${encodeURIComponent(d.apiVersion ?? "")}`;
      paths.files = `${root}/files${q}`;
      paths.batches = `${root}/batches${q}`;
    }
    paths.responses = azureResponsesPath(root, d.apiVersion);
    return { origin, paths, headers };
  },
  prepare(d, t, a) {
    const path = t.paths[a.op] as string;
    if (a.object) {
      const at = path.indexOf("?");
      if (at < 0) return objectRequest(path, "", t.headers, a.object, a.body);
      return objectRequest(path.slice(0, at), path.slice(at + 1), t.headers, a.object, a.body);
    }
    if (isObjectOperation(a.op)) return storedObjectRequest(path, t.headers, d, a);
    if (a.form) return formRequest(path, t.headers, d, a.form);
    return {
      path,
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
  // the GA v1 surface takes no api-version, as every other operation on it here
  if (v === "v1" || v === "latest") return `${root}/v1/responses`;
  if (v === "preview") return `${root}/v1/responses?api-version=preview`;
  const dated = v.slice(0, 10) >= "2025-03-01" ? v : "2025-03-01-preview";
  return `${root}/responses?api-version=${encodeURIComponent(dated)}`;
}

/**
 * Azure accepts `stream_options` from API version 2024-09-01-preview on; older versions refuse the
 * whole request with a 400, so their streams are not asked for usage (their tokens are estimated).
 */
export function azureStreamsUsage(apiVersion: string | undefined): boolean {
  return azureV1(apiVersion) || (apiVersion !== undefined && apiVersion.slice(0, 10) >= "2024-09-01");
}

/** api_version naming Azure's v1 API rather than a dated version. */
export function azureV1(apiVersion: string | undefined): boolean {
  return apiVersion === "v1" || apiVersion === "latest" || apiVersion === "preview";
}
