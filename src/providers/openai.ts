import { failureFromResponse } from "../upstream/errors.js";
import type { Provider } from "./contract.js";
import { ALL_OPERATIONS, objectRequest, openaiBody, splitBase } from "./openai-body.js";

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
    return {
      origin,
      paths: {
        chat: `${basePath}/chat/completions`,
        completions: `${basePath}/completions`,
        embeddings: `${basePath}/embeddings`,
        responses: `${basePath}/responses`,
      },
      headers,
    };
  },
  prepare(d, t, a) {
    if (a.object) return objectRequest(t.paths[a.op] as string, "", t.headers, a.object, a.body);
    return { path: t.paths[a.op] as string, headers: t.headers, body: openaiBody(d, a, true) };
  },
  mapError: failureFromResponse,
};
