import type { Deployment } from "../../router/deployment.js";
import type { AttemptInput, Provider } from "../contract.js";
import { splitBase } from "../openai-body.js";
import { tokenSourceFor } from "./auth.js";
import { claudeBody, claudeDecode, claudeStream, isClaude, vertexError } from "./claude.js";
import { geminiEmbedRequest, toEmbeddingList, vertexEmbedRequest } from "./embeddings.js";
import { mapGoogleError } from "./errors.js";
import { BadChatRequest } from "./messages.js";
import { untranslatable } from "./refuse.js";
import { toGenerateContent } from "./request.js";
import { toChatCompletion } from "./response.js";
import { GeminiStreamTranslator } from "./stream.js";

const OPERATIONS = new Set(["chat", "embeddings"] as const);

function describe(d: Deployment): string {
  return `deployment ${d.id} (${d.modelGroup}${d.geography ? `, ${d.geography}` : ""})`;
}

function chatBody(d: Deployment, a: AttemptInput, provider: string): string {
  try {
    return JSON.stringify(toGenerateContent(a.body, d.requestDefaults));
  } catch (err) {
    if (err instanceof BadChatRequest) throw untranslatable(provider, err.message);
    throw err;
  }
}

/** Both Google APIs answer in the same shapes: decode, stream and errors are shared. */
const googleWire = {
  contract: 2,
  passthrough: false,
  framing: "sse",
  operations: OPERATIONS,
  decode(d: Deployment, a: AttemptInput, raw: Buffer) {
    if (a.op === "embeddings") return toEmbeddingList(raw, d.upstreamModel, a.body.encoding_format);
    return toChatCompletion(raw, d.upstreamModel);
  },
  stream(d: Deployment) {
    return new GeminiStreamTranslator(d.upstreamModel, describe(d));
  },
  mapError: mapGoogleError,
} as const;

/**
 * `vertex_ai/<model>`: Gemini on Vertex AI, and Claude (`vertex_ai/claude-…`, Anthropic's Messages API
 * at publishers/anthropic). The location is in both host and path; every request carries an OAuth
 * token of the deployment's service account, fetched (and refreshed) in prepare.
 */
export const vertexProvider: Provider = {
  ...googleWire,
  decode(d, a, raw) {
    return isClaude(d.upstreamModel) ? claudeDecode(d, a, raw) : googleWire.decode(d, a, raw);
  },
  stream(d, a) {
    return isClaude(d.upstreamModel) ? claudeStream(d, a) : googleWire.stream(d);
  },
  mapError: vertexError,
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const publisher = isClaude(d.upstreamModel) ? "anthropic" : "google";
    // The project may come from the key file, read on first use: a placeholder until then.
    const model = `${basePath}/v1/projects/{project}/locations/${d.vertex?.location}/publishers/${publisher}/models/${d.upstreamModel}`;
    return {
      origin,
      paths: { chat: model, embeddings: model },
      headers: { "content-type": "application/json", ...d.extraHeaders },
    };
  },
  async prepare(d, t, a) {
    const v = d.vertex;
    if (!v?.credentials) throw new Error(`deployment ${d.id}: vertex_credentials is not set`);
    const tokens = tokenSourceFor(v.credentials);
    const project = v.project ?? tokens.key.project_id;
    if (!project)
      throw new Error(`deployment ${d.id}: vertex_project is not set and the key names no project_id`);
    const claude = isClaude(d.upstreamModel);
    if (claude && a.op !== "chat")
      throw untranslatable("Claude on Vertex AI", "only chat completions are supported");
    const body = claude
      ? claudeBody(d, a)
      : a.op === "embeddings"
        ? JSON.stringify(vertexEmbedRequest(a.body))
        : chatBody(d, a, "vertex_ai");
    const method = claude
      ? a.stream
        ? "streamRawPredict"
        : "rawPredict"
      : a.op === "embeddings"
        ? "predict"
        : a.stream
          ? "streamGenerateContent?alt=sse"
          : "generateContent";
    const path = `${(t.paths[a.op] as string).replace("{project}", encodeURIComponent(project))}:${method}`;
    const token = await tokens.token(describe(d));
    return { path, headers: { ...t.headers, authorization: `Bearer ${token}` }, body };
  },
};

/** `gemini/<model>`: the Gemini API of Google AI Studio, an API key, one global host (no residency). */
export const geminiProvider: Provider = {
  ...googleWire,
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const base = /\/v1(beta)?$/.test(basePath) ? basePath : `${basePath}/v1beta`;
    const model = `${base}/models/${d.upstreamModel}`;
    const headers: Record<string, string> = { "content-type": "application/json", ...d.extraHeaders };
    if (d.apiKey) headers["x-goog-api-key"] = d.apiKey;
    return {
      origin,
      paths: { chat: `${model}:generateContent`, embeddings: `${model}:batchEmbedContents` },
      headers,
    };
  },
  prepare(d, t, a) {
    if (a.op === "embeddings")
      return {
        path: t.paths.embeddings as string,
        headers: t.headers,
        body: JSON.stringify(geminiEmbedRequest(a.body, d.upstreamModel)),
      };
    const path = a.stream
      ? (t.paths.chat as string).replace(/:generateContent$/, ":streamGenerateContent?alt=sse")
      : (t.paths.chat as string);
    return { path, headers: t.headers, body: chatBody(d, a, "gemini") };
  },
};
