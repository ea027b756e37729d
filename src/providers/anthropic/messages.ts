/**
 * OpenAI chat messages -> Anthropic Messages `system` + `messages`. System (and developer) messages
 * are hoisted to the top-level `system`; tool results become `tool_result` blocks in a user turn;
 * assistant tool calls become `tool_use` blocks; consecutive turns of one role are merged, as the
 * Messages API wants alternating turns.
 */

type Block = Record<string, unknown>;
export interface AnthropicMessage {
  role: "user" | "assistant";
  content: Block[];
}

export interface Converted {
  system: Block[];
  messages: AnthropicMessage[];
}

export function convertMessages(raw: unknown): Converted {
  const system: Block[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: "user" | "assistant", blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of Array.isArray(raw) ? raw : []) {
    if (!m || typeof m !== "object") continue;
    const msg = m as Record<string, unknown>;
    switch (msg.role) {
      case "system":
      case "developer":
        system.push(...textBlocks(msg.content));
        break;
      case "user":
        push("user", contentBlocks(msg.content));
        break;
      case "assistant":
        push("assistant", [...textBlocks(msg.content), ...toolUses(msg.tool_calls)]);
        break;
      case "tool":
      case "function":
        push("user", [toolResult(msg)]);
        break;
    }
  }
  return { system, messages };
}

/** Text parts only (system prompts, assistant turns); empty texts dropped: the API refuses them. */
function textBlocks(content: unknown): Block[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const p of content) {
    const part = p as Record<string, unknown> | null;
    if (part?.type !== "text" || typeof part.text !== "string" || part.text === "") continue;
    out.push(withCache({ type: "text", text: part.text }, part));
  }
  return out;
}

/** A user turn's parts: text and images (base64 data URLs, or URLs Anthropic fetches itself). */
function contentBlocks(content: unknown): Block[] {
  if (!Array.isArray(content)) return textBlocks(content);
  const out: Block[] = [];
  for (const p of content) {
    const part = p as Record<string, unknown> | null;
    if (part?.type === "text") out.push(...textBlocks([part]));
    else if (part?.type === "image_url") {
      const iu = part.image_url;
      const url = typeof iu === "string" ? iu : (iu as { url?: unknown } | undefined)?.url;
      if (typeof url === "string") out.push(withCache(imageBlock(url), part));
    }
  }
  return out;
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

export function imageBlock(url: string): Block {
  const m = DATA_URL.exec(url);
  if (m) {
    const type = m[1] === "application/pdf" ? "document" : "image";
    return { type, source: { type: "base64", media_type: m[1], data: m[2] } };
  }
  return { type: "image", source: { type: "url", url } };
}

function toolUses(calls: unknown): Block[] {
  if (!Array.isArray(calls)) return [];
  const out: Block[] = [];
  for (const c of calls) {
    const call = c as { id?: unknown; function?: { name?: unknown; arguments?: unknown } } | null;
    if (!call?.function) continue;
    out.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    });
  }
  return out;
}

/** OpenAI carries arguments as a JSON string; Anthropic wants the object. Not JSON: an empty input. */
function parseArguments(args: unknown): unknown {
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    const v = JSON.parse(args) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

function toolResult(msg: Record<string, unknown>): Block {
  const content = msg.content;
  return {
    type: "tool_result",
    tool_use_id: msg.tool_call_id ?? msg.name,
    content: typeof content === "string" ? content : contentBlocks(content),
  };
}

/** Prompt caching markers (`cache_control`) ride along on the part they were set on. */
function withCache(block: Block, part: Record<string, unknown>): Block {
  return part.cache_control === undefined ? block : { ...block, cache_control: part.cache_control };
}
