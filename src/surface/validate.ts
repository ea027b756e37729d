import { type GatewayError, gatewayError } from "../errors.js";
import type { SpooledForm } from "../multipart/spool.js";
import type { Operation, SurfaceOperation } from "../router/deployment.js";

/** Fields each operation cannot do without, and what they must be; the upstream checks the rest. */
const REQUIRED: Readonly<Record<SurfaceOperation, ReadonlyArray<[string, "string" | "string_or_array"]>>> = {
  moderations: [["input", "string_or_array"]],
  images_generations: [["prompt", "string"]],
  images_edits: [["prompt", "string"]],
  images_variations: [],
  audio_speech: [
    ["input", "string"],
    ["voice", "string"],
  ],
  audio_transcriptions: [],
  audio_translations: [],
  rerank: [
    ["query", "string"],
    ["documents", "string_or_array"],
  ],
};

/** File parts a multipart request must carry (`files`: an upload, POST /v1/files). */
const FILES: Readonly<Partial<Record<Operation, string>>> = {
  images_edits: "image",
  images_variations: "image",
  audio_transcriptions: "file",
  audio_translations: "file",
  files: "file",
};

/** Fields of a surface request: a clear 400 naming the parameter rather than the upstream's guess. */
export function validateSurface(op: SurfaceOperation, b: Record<string, unknown>): void {
  for (const [param, kind] of REQUIRED[op]) {
    const v = b[param];
    if (v === undefined || v === null || v === "")
      throw gatewayError("invalid_request", { reason: "missing", param }, { param });
    const ok = typeof v === "string" || (kind === "string_or_array" && Array.isArray(v));
    if (!ok) {
      const got = Array.isArray(v) ? "array" : typeof v;
      const expected = kind === "string" ? "a string" : "a string or an array";
      throw gatewayError("invalid_request", { reason: "wrong_type", param, expected, got }, { param });
    }
  }
}

/** The file part a multipart operation needs, when it is missing. */
export function missingFile(op: Operation, form: SpooledForm | undefined): GatewayError | undefined {
  const name = FILES[op];
  if (name === undefined || form === undefined || form.hasFile(name)) return undefined;
  return gatewayError("invalid_multipart", { reason: "missing_file", param: name }, { param: name });
}
