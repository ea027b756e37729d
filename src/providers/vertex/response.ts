import { randomBytes } from "node:crypto";
import type { Usage } from "../../wire/usage.js";
import type { Part } from "./messages.js";

/** Gemini's GenerateContentResponse, the parts we read. */
export interface GeminiResponse {
  candidates?: Array<{
    content?: { role?: string; parts?: Array<Part & { thought?: boolean }> };
    finishReason?: string;
    index?: number;
  }>;
  promptFeedback?: { blockReason?: string };
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

/**
 * Gemini finish reasons -> OpenAI's. Every safety-type stop (and a blocked prompt) is `content_filter`,
 * as LiteLLM maps them; a function call in the answer makes it `tool_calls` (see finishOf).
 */
const FINISH: Record<string, string> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  LANGUAGE: "content_filter",
  MALFORMED_FUNCTION_CALL: "stop",
  FINISH_REASON_UNSPECIFIED: "stop",
  OTHER: "stop",
};

export function finishOf(reason: string | undefined, calledTools: boolean): string {
  if (calledTools && (reason === undefined || reason === "STOP")) return "tool_calls";
  return FINISH[reason ?? "STOP"] ?? "stop";
}

/** usageMetadata -> Usage. Thinking tokens are output tokens the caller pays for, as LiteLLM counts them. */
export function usageOfMetadata(u: UsageMetadata | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.promptTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  const details: Record<string, unknown> = {};
  if (u.cachedContentTokenCount !== undefined)
    details.prompt_tokens_details = { cached_tokens: u.cachedContentTokenCount };
  if (u.thoughtsTokenCount !== undefined)
    details.completion_tokens_details = { reasoning_tokens: u.thoughtsTokenCount };
  const total = u.totalTokenCount ?? prompt + completion;
  return Object.keys(details).length > 0
    ? { prompt, completion, total, details }
    : { prompt, completion, total };
}

/** OpenAI's usage object, with the cached and reasoning token details Gemini reports. */
export function usageBody(u: UsageMetadata): Record<string, unknown> {
  const usage = usageOfMetadata(u) as Usage;
  const out: Record<string, unknown> = {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.total,
  };
  if (u.cachedContentTokenCount !== undefined)
    out.prompt_tokens_details = { cached_tokens: u.cachedContentTokenCount };
  if (u.thoughtsTokenCount !== undefined)
    out.completion_tokens_details = { reasoning_tokens: u.thoughtsTokenCount };
  return out;
}

export function toolCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}

export interface MessageParts {
  content: string | null;
  reasoning: string | undefined;
  toolCalls: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
}

/** A candidate's parts -> text, thinking text and tool calls. */
export function readParts(parts: ReadonlyArray<Part & { thought?: boolean }> | undefined): MessageParts {
  let content: string | null = null;
  let reasoning: string | undefined;
  const toolCalls: MessageParts["toolCalls"] = [];
  for (const p of parts ?? []) {
    if (typeof p.text === "string") {
      if (p.thought) reasoning = (reasoning ?? "") + p.text;
      else content = (content ?? "") + p.text;
    } else if (p.functionCall) {
      const id = (p.functionCall as { id?: unknown }).id;
      toolCalls.push({
        id: typeof id === "string" && id !== "" ? id : toolCallId(),
        type: "function",
        function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
      });
    }
  }
  return { content, reasoning, toolCalls };
}

/** A whole generateContent answer -> an OpenAI chat.completion. Throws on a body that is not one. */
export function toChatCompletion(raw: Buffer, model: string): { body: Buffer; usage: Usage | undefined } {
  const v = JSON.parse(raw.toString("utf8")) as GeminiResponse;
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new Error("a generateContent answer that is not an object");
  if (!Array.isArray(v.candidates) && !v.promptFeedback)
    throw new Error("a generateContent answer without candidates or promptFeedback");
  const choices =
    v.candidates && v.candidates.length > 0
      ? v.candidates.map((c, i) => {
          const m = readParts(c.content?.parts);
          const message: Record<string, unknown> = { role: "assistant", content: m.content };
          if (m.reasoning !== undefined) message.reasoning_content = m.reasoning;
          if (m.toolCalls.length > 0) message.tool_calls = m.toolCalls;
          return {
            index: c.index ?? i,
            message,
            finish_reason: finishOf(c.finishReason, m.toolCalls.length > 0),
          };
        })
      : // The prompt itself was blocked (promptFeedback.blockReason): no candidate, nothing generated.
        [{ index: 0, message: { role: "assistant", content: null }, finish_reason: "content_filter" }];
  const usage = usageOfMetadata(v.usageMetadata);
  const body = {
    id: v.responseId ? `chatcmpl-${v.responseId}` : `chatcmpl-${randomBytes(12).toString("hex")}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    ...(v.usageMetadata ? { usage: usageBody(v.usageMetadata) } : {}),
  };
  return { body: Buffer.from(JSON.stringify(body)), usage };
}
