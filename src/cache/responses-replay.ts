/**
 * The Responses API in the cache: a stored Response object replayed as the event stream OpenAI
 * sends for it, and a recorded stream turned back into that object. Responses events are named
 * (`event: response.output_text.delta`), numbered (`sequence_number`) and end with
 * `response.completed` — no `[DONE]`.
 */

type Json = Record<string, unknown>;

/** The whole Response a recorded stream carried: the `response` of its response.completed event. */
export function assembleResponse(events: readonly string[]): Json | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    let e: Json;
    try {
      e = JSON.parse(events[i]) as Json;
    } catch {
      continue;
    }
    if (e?.type !== "response.completed") continue;
    const r = e.response as Json | undefined;
    return r && typeof r === "object" && r.status === "completed" ? r : undefined;
  }
  return undefined;
}

/** A completed Response as its event stream: created, in_progress, each item's events, completed. */
export function replayResponse(answer: Json): string {
  let seq = 0;
  let out = "";
  const emit = (type: string, fields: Json) => {
    out += `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  };
  const opening = { ...answer, status: "in_progress", output: [], usage: null };
  emit("response.created", { response: opening });
  emit("response.in_progress", { response: opening });
  const output = Array.isArray(answer.output) ? (answer.output as Json[]) : [];
  for (const [output_index, item] of output.entries()) {
    const item_id = item.id;
    if (item.type === "message") {
      const parts = Array.isArray(item.content) ? (item.content as Json[]) : [];
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", content: [] },
      });
      for (const [content_index, part] of parts.entries()) {
        const at = { item_id, output_index, content_index };
        if (part.type === "output_text") {
          const text = typeof part.text === "string" ? part.text : "";
          emit("response.content_part.added", { ...at, part: { ...part, text: "" } });
          emit("response.output_text.delta", { ...at, delta: text, logprobs: [] });
          emit("response.output_text.done", { ...at, text, logprobs: [] });
        } else if (part.type === "refusal") {
          const refusal = typeof part.refusal === "string" ? part.refusal : "";
          emit("response.content_part.added", { ...at, part: { ...part, refusal: "" } });
          emit("response.refusal.delta", { ...at, delta: refusal });
          emit("response.refusal.done", { ...at, refusal });
        } else emit("response.content_part.added", { ...at, part });
        emit("response.content_part.done", { ...at, part });
      }
    } else if (item.type === "function_call") {
      const args = typeof item.arguments === "string" ? item.arguments : "";
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", arguments: "" },
      });
      emit("response.function_call_arguments.delta", { item_id, output_index, delta: args });
      emit("response.function_call_arguments.done", { item_id, output_index, arguments: args });
    } else {
      // reasoning, tool calls of built-in tools: the item as it ended
      emit("response.output_item.added", { output_index, item });
    }
    emit("response.output_item.done", { output_index, item });
  }
  emit("response.completed", { response: answer });
  return out;
}
