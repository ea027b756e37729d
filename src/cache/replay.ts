import { sseData } from "../wire/sse.js";
import { replayResponse } from "./responses-replay.js";

type Json = Record<string, unknown>;

/**
 * A cached answer (the whole OpenAI body) as the event stream OpenAI would send for it: for chat a
 * role chunk, the content (and tool calls, refusal) in one chunk per choice, a chunk with the
 * finish_reason, then — only when the client asked with `stream_options.include_usage` — the usage
 * chunk (`choices: []`, every other chunk carrying `"usage": null`), and `data: [DONE]`.
 * Legacy completions stream `text_completion` chunks; the Responses API its named events
 * (responses-replay.ts). Returns undefined for operations with no stream shape (embeddings).
 */
export function replayStream(op: string, answer: Json, includeUsage: boolean): string | undefined {
  if (op === "responses") return replayResponse(answer);
  if (op !== "chat" && op !== "completions") return undefined;
  const choices = Array.isArray(answer.choices) ? (answer.choices as Json[]) : [];
  const base: Json = {
    id: answer.id,
    object: op === "chat" ? "chat.completion.chunk" : "text_completion",
    created: answer.created,
    model: answer.model,
  };
  if (answer.system_fingerprint !== undefined) base.system_fingerprint = answer.system_fingerprint;
  const tail = includeUsage ? { usage: null } : {};
  const chunk = (c: Json) => sseData({ ...base, choices: [c], ...tail });
  let out = "";
  for (const [i, ch] of choices.entries()) {
    const index = typeof ch.index === "number" ? ch.index : i;
    if (op === "completions") {
      out += chunk({
        index,
        text: typeof ch.text === "string" ? ch.text : "",
        logprobs: null,
        finish_reason: null,
      });
      out += chunk({ index, text: "", logprobs: null, finish_reason: ch.finish_reason ?? "stop" });
      continue;
    }
    const m = (ch.message ?? {}) as Json;
    // OpenAI opens with the role; content "" unless the answer has none (tool calls only)
    const opening = { role: m.role ?? "assistant", content: m.content === null ? null : "" };
    out += chunk({ index, delta: opening, finish_reason: null });
    if (typeof m.content === "string" && m.content !== "") {
      const c: Json = { index, delta: { content: m.content }, finish_reason: null };
      if (ch.logprobs !== undefined && ch.logprobs !== null) c.logprobs = ch.logprobs;
      out += chunk(c);
    }
    if (typeof m.refusal === "string")
      out += chunk({ index, delta: { refusal: m.refusal }, finish_reason: null });
    if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      const tool_calls = (m.tool_calls as Json[]).map((t, j) => ({ index: j, ...t }));
      out += chunk({ index, delta: { tool_calls }, finish_reason: null });
    }
    out += chunk({ index, delta: {}, finish_reason: ch.finish_reason ?? "stop" });
  }
  if (includeUsage && answer.usage) out += sseData({ ...base, choices: [], usage: answer.usage });
  return `${out}data: [DONE]\n\n`;
}
