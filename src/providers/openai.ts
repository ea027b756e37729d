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

/** OpenAI and every server that speaks its wire format (`api_base` given). Passthrough. */
export const openaiProvider: Provider = {
  contract: 2,
  passthrough: true,
  framing: "sse",
  operations: ALL_OPERATIONS,
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const headers: Record<string, string> = { "content-type": "application/json", ...d.extraHeaders };
    if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
    return { origin, paths: operationPaths(basePath), headers };
  },
  prepare(d, t, a) {
    const path = t.paths[a.op] as string;
    if (a.object) return objectRequest(path, "", t.headers, a.object, a.body);
    if (isObjectOperation(a.op)) return storedObjectRequest(path, t.headers, d, a);
    if (a.form) return formRequest(path, t.headers, d, a.form);
    return { path, headers: t.headers, body: openaiBody(d, a, true) };
  },
  mapError: failureFromResponse,
};
