import type { Deployment } from "../../router/deployment.js";
import { refuse } from "./refuse.js";

/**
 * OpenAI chat request → Bedrock Converse request body (the same for /converse and /converse-stream).
 * System messages are hoisted to `system`; tool calls and tool results become `toolUse` /
 * `toolResult` blocks; consecutive messages of one role are merged (Converse wants user and
 * assistant to alternate, and tool results travel as a user message).
 */

type Json = Record<string, unknown>;
type Block = Json;
interface ConverseMessage {
  role: "user" | "assistant";
  content: Block[];
}

export interface ConverseRequest {
  messages: ConverseMessage[];
  system?: Block[];
  inferenceConfig?: Json;
  toolConfig?: Json;
}

const IMAGE_FORMATS = new Set(["png", "jpeg", "gif", "webp"]);

export function converseRequest(d: Deployment, body: Readonly<Json>): ConverseRequest {
  const p = { ...d.requestDefaults, ...body } as Json;
  const system: Block[] = [];
  const messages: ConverseMessage[] = [];
  const push = (role: ConverseMessage["role"], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  const list = Array.isArray(p.messages) ? (p.messages as Json[]) : [];
  list.forEach((m, i) => {
    const role = m.role;
    if (role === "system" || role === "developer") {
      for (const b of contentBlocks(d, m.content, i))
        if (typeof b.text === "string") system.push({ text: b.text });
    } else if (role === "assistant") {
      const blocks = contentBlocks(d, m.content, i);
      for (const c of Array.isArray(m.tool_calls) ? (m.tool_calls as Json[]) : []) blocks.push(toolUse(c));
      push("assistant", blocks);
    } else if (role === "tool" || role === "function") {
      const text = textOf(m.content);
      push("user", [
        {
          toolResult: {
            toolUseId: String(m.tool_call_id ?? m.name ?? ""),
            content: [{ text }],
          },
        },
      ]);
    } else {
      push("user", contentBlocks(d, m.content, i));
    }
  });
  const out: ConverseRequest = { messages };
  if (system.length > 0) out.system = system;
  const inference = inferenceConfig(p);
  if (inference) out.inferenceConfig = inference;
  const tools = toolConfig(p);
  if (tools) out.toolConfig = tools;
  return out;
}

function inferenceConfig(p: Json): Json | undefined {
  const c: Json = {};
  const max = p.max_completion_tokens ?? p.max_tokens;
  if (typeof max === "number") c.maxTokens = max;
  if (typeof p.temperature === "number") c.temperature = p.temperature;
  if (typeof p.top_p === "number") c.topP = p.top_p;
  if (typeof p.stop === "string") c.stopSequences = [p.stop];
  else if (Array.isArray(p.stop) && p.stop.length > 0) c.stopSequences = p.stop;
  return Object.keys(c).length > 0 ? c : undefined;
}

/**
 * JSON mode as LiteLLM does it on Converse: the schema becomes a tool the model is made to call, and
 * that call's input is the answer's content (response.ts, stream.ts).
 */
export const JSON_TOOL = "json_tool_call";

/** The schema a `response_format` asks for, or undefined when it asks for no JSON. */
export function jsonModeSchema(body: Readonly<Json>): Json | undefined {
  const rf = body.response_format as Json | undefined;
  if (!rf || typeof rf !== "object") return undefined;
  if (rf.type === "json_schema") {
    const schema = (rf.json_schema as Json | undefined)?.schema;
    return schema && typeof schema === "object" ? (schema as Json) : { type: "object" };
  }
  return rf.type === "json_object" ? { type: "object" } : undefined;
}

function toolConfig(p: Json): Json | undefined {
  const json = jsonModeSchema(p);
  const userTools = Array.isArray(p.tools) && p.tools.length > 0 && p.tool_choice !== "none";
  if (!userTools && !json) return undefined;
  const tools = (userTools ? (p.tools as Json[]) : []).map((t) => {
    const f = (t.function ?? {}) as Json;
    const spec: Json = {
      name: f.name,
      inputSchema: { json: f.parameters ?? { type: "object", properties: {} } },
    };
    if (typeof f.description === "string" && f.description !== "") spec.description = f.description;
    return { toolSpec: spec };
  });
  const out: Json = { tools };
  if (json) {
    tools.push({
      toolSpec: { name: JSON_TOOL, description: "Respond with a JSON object.", inputSchema: { json } },
    });
    if (!userTools) {
      out.toolChoice = { tool: { name: JSON_TOOL } };
      return out;
    }
  }
  const choice = p.tool_choice;
  if (choice === "auto") out.toolChoice = { auto: {} };
  else if (choice === "required") out.toolChoice = { any: {} };
  else if (choice && typeof choice === "object") {
    const name = ((choice as Json).function as Json | undefined)?.name;
    if (typeof name === "string") out.toolChoice = { tool: { name } };
  }
  return out;
}

function toolUse(c: Json): Block {
  const f = (c.function ?? {}) as Json;
  let input: unknown = {};
  if (typeof f.arguments === "string" && f.arguments.trim() !== "") {
    try {
      input = JSON.parse(f.arguments);
    } catch {
      input = { arguments: f.arguments }; // a model's broken JSON is kept rather than lost
    }
  }
  return { toolUse: { toolUseId: String(c.id ?? ""), name: String(f.name ?? ""), input } };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content == null ? "" : JSON.stringify(content);
  return (content as Json[]).map((p) => (typeof p.text === "string" ? p.text : "")).join("");
}

function contentBlocks(d: Deployment, content: unknown, i: number): Block[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const part of content as Json[]) {
    if (part.type === "text" && typeof part.text === "string") out.push({ text: part.text });
    else if (part.type === "image_url") out.push(image(d, part.image_url, i));
  }
  return out;
}

/** Converse takes image bytes, not URLs: a data URL is unpacked; fetching a URL is not the gateway's job here. */
function image(d: Deployment, ref: unknown, i: number): Block {
  const url = typeof ref === "string" ? ref : (ref as Json | undefined)?.url;
  const m = typeof url === "string" ? /^data:image\/([a-z]+);base64,(.*)$/s.exec(url) : null;
  if (!m)
    throw refuse(d, "an image given by URL (send it as a data: URL with base64 bytes)", `messages[${i}]`);
  const format = m[1] === "jpg" ? "jpeg" : m[1];
  if (!IMAGE_FORMATS.has(format)) throw refuse(d, `an image of type ${format}`, `messages[${i}]`);
  return { image: { format, source: { bytes: m[2] } } };
}
