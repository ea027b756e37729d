/** Anthropic stop_reason -> OpenAI finish_reason (LiteLLM's map_finish_reason). */
const FINISH: Readonly<Record<string, string>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

export function finishReason(stop: unknown, jsonMode: boolean): string {
  // JSON mode's answer is the forced tool's input, given as content: it stopped, it did not call a tool.
  if (jsonMode && stop === "tool_use") return "stop";
  return (typeof stop === "string" && FINISH[stop]) || "stop";
}
