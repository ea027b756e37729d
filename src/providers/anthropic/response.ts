import type { Deployment } from "../../router/deployment.js";
import { usageJson } from "../../wire/usage.js";
import type { Decoded } from "../contract.js";
import { finishReason } from "./finish.js";
import { JSON_TOOL } from "./request.js";
import { type AnthropicUsage, usageFromAnthropic } from "./usage.js";

interface ContentBlock {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  thinking?: string;
}

interface AnthropicMessage {
  id?: string;
  type?: string;
  model?: string;
  content?: ContentBlock[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** A Messages API answer -> an OpenAI chat.completion. Throws when it is not a message. */
export function decodeMessage(d: Deployment, raw: Buffer, jsonMode: boolean): Decoded {
  const m = JSON.parse(raw.toString("utf8")) as AnthropicMessage;
  if (m?.type !== "message" || !Array.isArray(m.content))
    throw new Error("an Anthropic answer that is not a message");
  let text = "";
  let reasoning = "";
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const b of m.content) {
    if (b.type === "text" && typeof b.text === "string") text += b.text;
    else if (b.type === "thinking" && typeof b.thinking === "string") reasoning += b.thinking;
    else if (b.type === "tool_use")
      toolCalls.push({
        id: b.id,
        type: "function",
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
  }
  const message: Record<string, unknown> = { role: "assistant", content: text === "" ? null : text };
  const jsonAnswer = jsonMode && toolCalls.length === 1 && fnName(toolCalls[0]) === JSON_TOOL;
  if (jsonAnswer) message.content = jsonContent(toolCalls[0]);
  else if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== "") message.reasoning_content = reasoning;
  const usage = m.usage ? usageFromAnthropic(m.usage) : undefined;
  const body = {
    id: m.id ?? `chatcmpl-${Date.now()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: m.model ?? d.upstreamModel,
    choices: [{ index: 0, message, finish_reason: finishReason(m.stop_reason, jsonAnswer) }],
    ...(usage ? { usage: usageJson(usage) } : {}),
  };
  return { body: Buffer.from(JSON.stringify(body)), usage };
}

function fnName(call: Record<string, unknown>): unknown {
  return (call.function as { name?: unknown }).name;
}

/** LiteLLM gives the tool's input as the content, unwrapping a `values` key some models add. */
function jsonContent(call: Record<string, unknown>): string {
  const args = (call.function as { arguments: string }).arguments;
  const v = JSON.parse(args) as { values?: unknown };
  return v && typeof v === "object" && v.values !== undefined ? JSON.stringify(v.values) : args;
}
