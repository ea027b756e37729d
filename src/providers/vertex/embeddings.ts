import type { Usage } from "../../wire/usage.js";
import { untranslatable } from "./refuse.js";

/**
 * OpenAI /v1/embeddings <-> Google's embedding APIs. Pure.
 * Vertex AI:  POST …/publishers/google/models/{m}:predict  {"instances": [{"content"}], "parameters"}
 *             -> {"predictions": [{"embeddings": {"values", "statistics": {"token_count"}}}]}
 * AI Studio:  POST /v1beta/models/{m}:batchEmbedContents  {"requests": [{"model", "content": {"parts"}}]}
 *             -> {"embeddings": [{"values"}]}
 */

/** The client's input as texts; token arrays cannot be sent to Google (400 untranslatable_request). */
export function embeddingTexts(input: unknown, provider: string): string[] {
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === "string")) return input;
  throw untranslatable(
    provider,
    "input must be a string or an array of strings (token arrays are not supported)",
    "input",
  );
}

export function vertexEmbedRequest(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const task = typeof body.task_type === "string" ? { task_type: body.task_type } : {};
  const out: Record<string, unknown> = {
    instances: embeddingTexts(body.input, "vertex_ai").map((content) => ({ content, ...task })),
  };
  if (typeof body.dimensions === "number") out.parameters = { outputDimensionality: body.dimensions };
  return out;
}

export function geminiEmbedRequest(
  body: Readonly<Record<string, unknown>>,
  model: string,
): Record<string, unknown> {
  const dims = {
    ...(typeof body.dimensions === "number" ? { outputDimensionality: body.dimensions } : {}),
    ...(typeof body.task_type === "string" ? { taskType: body.task_type } : {}),
  };
  return {
    requests: embeddingTexts(body.input, "gemini").map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...dims,
    })),
  };
}

/** A Google embedding answer (either API) -> OpenAI's list, floats or base64 as the client asked. */
export function toEmbeddingList(
  raw: Buffer,
  model: string,
  encoding: unknown,
): { body: Buffer; usage: Usage | undefined } {
  const v = JSON.parse(raw.toString("utf8")) as {
    predictions?: Array<{ embeddings?: { values?: number[]; statistics?: { token_count?: number } } }>;
    embeddings?: Array<{ values?: number[] }>;
  };
  let vectors: number[][];
  let tokens: number | undefined;
  if (Array.isArray(v.predictions)) {
    vectors = v.predictions.map((p) => p.embeddings?.values ?? invalid());
    tokens = v.predictions.reduce((n, p) => n + (p.embeddings?.statistics?.token_count ?? 0), 0);
  } else if (Array.isArray(v.embeddings)) {
    vectors = v.embeddings.map((e) => e.values ?? invalid());
    tokens = undefined; // batchEmbedContents reports no token counts
  } else invalid();
  const base64 = encoding === "base64";
  const data = vectors.map((values, index) => ({
    object: "embedding",
    index,
    embedding: base64 ? Buffer.from(new Float32Array(values).buffer).toString("base64") : values,
  }));
  const usage = tokens === undefined ? undefined : { prompt: tokens, completion: 0, total: tokens };
  const body = {
    object: "list",
    data,
    model,
    // AI Studio counts nothing: 0 says "not reported", as OpenAI clients expect the object to exist.
    usage: { prompt_tokens: tokens ?? 0, total_tokens: tokens ?? 0 },
  };
  return { body: Buffer.from(JSON.stringify(body)), usage };
}

function invalid(): never {
  throw new Error("an embedding answer without values");
}
