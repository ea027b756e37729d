import type { Deployment, Operation } from "../router/deployment.js";

/**
 * Which LiteLLM `model_info.mode` values serve each operation. A deployment without a mode serves
 * anything (configs written before modes mattered keep working); one with a mode serves only what
 * its mode names. Chat models also answer /completions, as LiteLLM bridges them.
 */
const SERVED_BY: Readonly<Record<string, readonly string[]>> = {
  chat: ["chat", "responses"],
  completions: ["completion", "chat"],
  embeddings: ["embedding"],
  moderations: ["moderation"],
  images_generations: ["image_generation"],
  images_edits: ["image_generation", "image_edit"],
  images_variations: ["image_generation", "image_edit"],
  audio_speech: ["audio_speech"],
  audio_transcriptions: ["audio_transcription"],
  audio_translations: ["audio_transcription"],
  rerank: ["rerank"],
  responses: ["responses", "chat"],
};

/** The mode(s) that would serve `op`, for the error message. */
export function modesFor(op: Operation): readonly string[] {
  return SERVED_BY[op] ?? [op];
}

/** Whether a deployment may serve `op` given its declared mode. */
export function modeServes(mode: string | undefined, op: Operation): boolean {
  // Files and batches hold inputs for any model: every mode may hold them.
  if (mode === undefined || mode === "" || op === "files" || op === "batches") return true;
  return modesFor(op).includes(mode);
}

/**
 * The modes a group declares when none of its deployments serves `op`; undefined when at least one
 * does (the request goes on). Checked before the region filter: a mode mismatch is the request's
 * fault whoever asks, and must not read as a residency refusal.
 */
export function unservedModes(group: readonly Deployment[], op: Operation): string[] | undefined {
  if (group.some((d) => modeServes(d.mode, op))) return undefined;
  return [...new Set(group.map((d) => d.mode as string))];
}
