import type { Usage } from "../../wire/usage.js";
import { JSON_TOOL } from "./request.js";

/** Converse `stopReason` → OpenAI `finish_reason` (as LiteLLM maps them). */
const FINISH: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

export function finishReason(stop: unknown): string {
  return (typeof stop === "string" && FINISH[stop]) || "stop";
}

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Prompt tokens include those read from and written to the prompt cache, as LiteLLM counts them. */
export function usageOf(u: ConverseUsage | undefined): Usage | undefined {
  if (!u || typeof u.inputTokens !== "number") return undefined;
  const prompt = u.inputTokens + (u.cacheReadInputTokens ?? 0) + (u.cacheWriteInputTokens ?? 0);
  const completion = u.outputTokens ?? 0;
  return { prompt, completion, total: prompt + completion };
}

/** OpenAI's `usage` object, with the cached part of the prompt when Bedrock reported one. */
export function openaiUsage(u: ConverseUsage, usage: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.total,
  };
  if (u.cacheReadInputTokens) out.prompt_tokens_details = { cached_tokens: u.cacheReadInputTokens };
  return out;
}

interface ContentBlock {
  text?: string;
  toolUse?: { toolUseId?: string; name?: string; input?: unknown };
  reasoningContent?: { reasoningText?: { text?: string } };
}

export interface ConverseResponse {
  output?: { message?: { role?: string; content?: ContentBlock[] } };
  stopReason?: string;
  usage?: ConverseUsage;
}

/** A Converse answer → OpenAI chat.completion. Throws when it is not a Converse answer. */
export function chatCompletion(
  raw: Buffer,
  model: string,
  jsonMode = false,
): { body: object; usage: Usage | undefined } {
  const v = JSON.parse(raw.toString("utf8")) as ConverseResponse;
  const content = v.output?.message?.content;
  if (!Array.isArray(content)) throw new Error("a Converse answer without output.message.content");
  let text = "";
  let reasoning = "";
  const toolCalls: object[] = [];
  for (const b of content) {
    if (typeof b.text === "string") text += b.text;
    else if (jsonMode && b.toolUse?.name === JSON_TOOL) text += JSON.stringify(b.toolUse.input ?? {});
    else if (b.toolUse)
      toolCalls.push({
        id: b.toolUse.toolUseId,
        type: "function",
        function: { name: b.toolUse.name, arguments: JSON.stringify(b.toolUse.input ?? {}) },
      });
    else if (typeof b.reasoningContent?.reasoningText?.text === "string")
      reasoning += b.reasoningContent.reasoningText.text;
  }
  const message: Record<string, unknown> = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== "") message.reasoning_content = reasoning;
  const usage = usageOf(v.usage);
  return {
    body: {
      id: `chatcmpl-${crypto.randomUUID()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message,
          // The JSON tool's call is the answer, not a call for the client to make.
          finish_reason: jsonMode && toolCalls.length === 0 ? "stop" : finishReason(v.stopReason),
        },
      ],
      ...(usage && v.usage ? { usage: openaiUsage(v.usage, usage) } : {}),
    },
    usage,
  };
}
