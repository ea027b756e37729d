import type { Operation, SurfaceOperation } from "../router/deployment.js";

/** How a route's request body arrives. */
export type BodyKind = "json" | "multipart" | "json_or_multipart";

export interface SurfaceOperationSpec {
  readonly op: SurfaceOperation;
  /** Path after `/v1/` (and after `/openai/deployments/{model}/` for Azure). */
  readonly suffix: string;
  readonly body: BodyKind;
  /** The answer is always bytes (audio), not a JSON document: passed through as it streams. */
  readonly binaryReply: boolean;
}

/**
 * The OpenAI endpoints beyond chat, completions and embeddings, passed through to OpenAI and Azure
 * deployments. One row each: the route table (http/routes.ts), the providers' paths and the body
 * checks all read this list.
 */
export const SURFACE_OPERATIONS: readonly SurfaceOperationSpec[] = [
  { op: "moderations", suffix: "moderations", body: "json", binaryReply: false },
  { op: "images_generations", suffix: "images/generations", body: "json", binaryReply: false },
  // gpt-image-1 also takes edits as JSON (image URLs / file ids); dall-e-2 only as multipart.
  { op: "images_edits", suffix: "images/edits", body: "json_or_multipart", binaryReply: false },
  { op: "images_variations", suffix: "images/variations", body: "multipart", binaryReply: false },
  { op: "audio_speech", suffix: "audio/speech", body: "json", binaryReply: true },
  { op: "audio_transcriptions", suffix: "audio/transcriptions", body: "multipart", binaryReply: false },
  { op: "audio_translations", suffix: "audio/translations", body: "multipart", binaryReply: false },
  { op: "rerank", suffix: "rerank", body: "json", binaryReply: false },
];

const SPECS = new Map<Operation, SurfaceOperationSpec>(SURFACE_OPERATIONS.map((s) => [s.op, s]));

/** The body kind a route takes: chat, completions and embeddings are JSON. */
export function bodyKindOf(op: Operation): BodyKind {
  // the only files call with a body is an upload (create); batches are created from JSON
  if (op === "files") return "multipart";
  return SPECS.get(op)?.body ?? "json";
}

/** Transcript formats that are not JSON. */
const TEXT_FORMATS = new Set(["text", "srt", "vtt"]);

/** The answer will not be a JSON document: audio, or a transcript asked for as text/srt/vtt. */
export function binaryReply(op: Operation, body: Readonly<Record<string, unknown>>): boolean {
  if (SPECS.get(op)?.binaryReply) return true;
  const transcript = op === "audio_transcriptions" || op === "audio_translations";
  return transcript && typeof body.response_format === "string" && TEXT_FORMATS.has(body.response_format);
}

/** Path suffix of an operation, as OpenAI names it. */
export const OPERATION_SUFFIX: Readonly<Partial<Record<Operation, string>>> = {
  chat: "chat/completions",
  completions: "completions",
  embeddings: "embeddings",
  responses: "responses",
  ...(Object.fromEntries(SURFACE_OPERATIONS.map((s) => [s.op, s.suffix])) as Record<
    SurfaceOperation,
    string
  >),
  files: "files",
  batches: "batches",
};

/** Operations on stored objects (src/surface/objects.ts): routed by id, any model mode. */
export function isObjectOperation(op: Operation): boolean {
  return op === "files" || op === "batches";
}

/** One of the operations listed here (not chat, completions, embeddings or responses). */
export function isSurfaceOperation(op: Operation): boolean {
  return SPECS.has(op);
}
