import { randomBytes } from "node:crypto";
import type { Usage } from "../../wire/usage.js";
import type { ChatMessage } from "./request.js";

/**
 * Chat completions answer -> Responses API object, for deployments that speak only chat. Pure,
 * apart from the ids it mints (resp_/msg_/fc_ and hex, OpenAI's shape).
 */

type Item = Record<string, unknown>;

export function newId(prefix: "resp" | "msg" | "fc"): string {
  return `${prefix}_${randomBytes(24).toString("hex")}`;
}

/** The response object's fields that echo the request, in OpenAI's order. */
export function responseShell(
  id: string,
  body: Readonly<Record<string, unknown>>,
  model: string,
  createdAt: number,
): Item {
  const text = (body.text as Item | undefined) ?? { format: { type: "text" } };
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text,
    tool_choice: body.tool_choice ?? "auto",
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

export function usageObject(u: Usage | undefined): Item {
  const input = u?.prompt ?? 0;
  const output = u?.completion ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u?.total ?? input + output,
  };
}

export function messageItem(id: string, text: string, status: "in_progress" | "completed"): Item {
  return {
    id,
    type: "message",
    status,
    role: "assistant",
    content: status === "completed" ? [{ type: "output_text", text, annotations: [], logprobs: [] }] : [],
  };
}

export function functionCallItem(
  id: string,
  callId: string,
  name: string,
  args: string,
  status: "in_progress" | "completed",
): Item {
  return { id, type: "function_call", status, arguments: args, call_id: callId, name };
}

/** Chat's finish_reason as the response's status and incomplete_details. */
export function finishOf(reason: unknown): { status: string; incomplete_details: Item | null } {
  if (reason === "length")
    return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (reason === "content_filter")
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** The assistant turn an output list stands for, to keep in the conversation for previous_response_id. */
export function assistantMessage(output: readonly Item[]): ChatMessage {
  let text = "";
  const calls: Item[] = [];
  for (const o of output) {
    if (o.type === "message")
      for (const p of (o.content as Item[]) ?? []) text += typeof p.text === "string" ? p.text : "";
    else if (o.type === "function_call")
      calls.push({ id: o.call_id, type: "function", function: { name: o.name, arguments: o.arguments } });
  }
  const m: ChatMessage = { role: "assistant", content: text === "" && calls.length > 0 ? null : text };
  if (calls.length > 0) m.tool_calls = calls;
  return m;
}

/** A whole chat.completion as a completed response. Throws when it is not one. */
export function fromChatCompletion(
  chat: Item,
  shell: Item,
  usage: Usage | undefined,
): { response: Item; output: Item[] } {
  const choice = (chat.choices as Item[] | undefined)?.[0];
  if (!choice || typeof choice !== "object") throw new Error("a chat completion without choices");
  const message = (choice.message ?? {}) as Item;
  const output: Item[] = [];
  const content = typeof message.content === "string" ? message.content : "";
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Item[]) : [];
  if (content !== "" || calls.length === 0) output.push(messageItem(newId("msg"), content, "completed"));
  for (const c of calls) {
    const fn = (c.function ?? {}) as Item;
    output.push(
      functionCallItem(
        newId("fc"),
        String(c.id ?? ""),
        String(fn.name ?? ""),
        String(fn.arguments ?? ""),
        "completed",
      ),
    );
  }
  const response = {
    ...shell,
    ...finishOf(choice.finish_reason),
    output,
    usage: usageObject(usage),
  };
  return { response, output };
}
