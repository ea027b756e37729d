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
    return { origin, paths, headers };
  },
  prepare(d, t, a) {
    const path = t.paths[a.op] as string;
    if (isObjectOperation(a.op)) return objectRequest(path, t.headers, d, a);
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
