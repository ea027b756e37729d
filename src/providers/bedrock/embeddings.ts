import type { Deployment } from "../../router/deployment.js";
import type { Usage } from "../../wire/usage.js";
import { refuse } from "./refuse.js";
import { modelIdOf } from "./region.js";

/**
 * OpenAI /v1/embeddings over Bedrock InvokeModel, for the two embedding families LiteLLM serves
 * there: Amazon Titan (`amazon.titan-embed-text-v1/v2`: one text per call) and Cohere
 * (`cohere.embed-*`: a list of texts per call).
 */
export type EmbeddingFamily = "titan" | "cohere";

export function embeddingFamily(model: string): EmbeddingFamily | undefined {
  const id = modelIdOf(model);
  const bare = id.slice(id.lastIndexOf("/") + 1).replace(/^(eu|us|apac|jp|au|ca|us-gov|global)\./, "");
  if (bare.startsWith("amazon.titan-embed")) return "titan";
  if (bare.startsWith("cohere.embed")) return "cohere";
  return undefined;
}

function inputs(d: Deployment, input: unknown): string[] {
  const list = typeof input === "string" ? [input] : Array.isArray(input) ? input : [];
  if (list.length === 0 || !list.every((x): x is string => typeof x === "string"))
    throw refuse(d, "embedding input other than a string or a list of strings (token arrays)", "input");
  return list;
}

export function embeddingRequest(d: Deployment, body: Readonly<Record<string, unknown>>): object {
  const family = embeddingFamily(d.upstreamModel);
  const texts = inputs(d, body.input);
  if (family === "titan") {
    if (texts.length > 1)
      throw refuse(d, "several inputs in one request to a Titan embedding model", "input");
    const req: Record<string, unknown> = { inputText: texts[0] };
    if (typeof body.dimensions === "number") req.dimensions = body.dimensions;
    return req;
  }
  if (family === "cohere") {
    return { texts, input_type: typeof body.input_type === "string" ? body.input_type : "search_document" };
  }
  throw refuse(
    d,
    "embeddings with this model (Bedrock embeddings: amazon.titan-embed-*, cohere.embed-*)",
    "model",
  );
}

/** Float32 little-endian bytes, base64: what OpenAI sends for `encoding_format: "base64"`. */
function base64Floats(v: number[]): string {
  const f = new Float32Array(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("base64");
}

export function embeddingResponse(
  d: Deployment,
  body: Readonly<Record<string, unknown>>,
  raw: Buffer,
): { body: object; usage: Usage | undefined } {
  const v = JSON.parse(raw.toString("utf8")) as {
    embedding?: number[];
    inputTextTokenCount?: number;
    embeddings?: number[][] | { float?: number[][] };
  };
  let vectors: number[][];
  let usage: Usage | undefined;
  if (Array.isArray(v.embedding)) {
    vectors = [v.embedding];
    if (typeof v.inputTextTokenCount === "number")
      usage = { prompt: v.inputTextTokenCount, completion: 0, total: v.inputTextTokenCount };
  } else if (Array.isArray(v.embeddings)) vectors = v.embeddings;
  else if (Array.isArray(v.embeddings?.float)) vectors = v.embeddings.float;
  else throw new Error("an InvokeModel answer without embedding(s)");
  const b64 = body.encoding_format === "base64";
  return {
    body: {
      object: "list",
      data: vectors.map((e, index) => ({ object: "embedding", index, embedding: b64 ? base64Floats(e) : e })),
      model: d.upstreamModel,
      usage: { prompt_tokens: usage?.prompt ?? 0, total_tokens: usage?.total ?? 0 },
    },
    usage,
  };
}
