/**
 * A streamed answer put back together as the whole answer OpenAI would have sent without `stream`
 * (what LiteLLM's stream_chunk_builder does): the cache stores one shape, whether the answer was
 * streamed or not, and can serve it either way.
 */

type Json = Record<string, unknown>;

interface ToolCall {
  id?: string;
  type?: string;
  name: string;
  args: string;
}

interface Choice {
  role: string;
  content: string | undefined;
  refusal: string | undefined;
  text: string;
  tools: ToolCall[];
  finish: unknown;
}

/**
 * `events` are the `data` of each event (JSON text; `[DONE]` ignored). Returns undefined when the
 * stream is not a whole answer: a chunk that is not JSON, an error chunk, or a choice without a
 * finish_reason.
 */
export function assembleStream(
  op: "chat" | "completions",
  events: readonly string[],
  usage: Json | undefined,
): Json | undefined {
  let head: Json | undefined;
  let seenUsage: unknown;
  const choices = new Map<number, Choice>();
  for (const data of events) {
    if (data === "[DONE]") continue;
    let c: Json;
    try {
      c = JSON.parse(data) as Json;
    } catch {
      return undefined;
    }
    if (!c || typeof c !== "object" || "error" in c) return undefined;
    head ??= c;
    if (c.usage && typeof c.usage === "object") seenUsage = c.usage;
    if (!Array.isArray(c.choices)) continue;
    for (const raw of c.choices as Json[]) {
      const index = typeof raw.index === "number" ? raw.index : 0;
      let ch = choices.get(index);
      if (!ch) {
        ch = { role: "assistant", content: undefined, refusal: undefined, text: "", tools: [], finish: null };
        choices.set(index, ch);
      }
      if (raw.finish_reason !== null && raw.finish_reason !== undefined) ch.finish = raw.finish_reason;
      if (op === "completions") {
        if (typeof raw.text === "string") ch.text += raw.text;
        continue;
      }
      const d = (raw.delta ?? {}) as Json;
      if (typeof d.role === "string") ch.role = d.role;
      if (typeof d.content === "string") ch.content = (ch.content ?? "") + d.content;
      if (typeof d.refusal === "string") ch.refusal = (ch.refusal ?? "") + d.refusal;
      if (Array.isArray(d.tool_calls)) for (const t of d.tool_calls as Json[]) mergeTool(ch.tools, t);
    }
  }
  if (!head || choices.size === 0) return undefined;
  for (const ch of choices.values()) if (ch.finish === null) return undefined;
  const out: Json = {
    id: head.id,
    object: op === "chat" ? "chat.completion" : "text_completion",
    created: head.created,
    model: head.model,
  };
  if (head.system_fingerprint !== undefined) out.system_fingerprint = head.system_fingerprint;
  out.choices = [...choices.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, ch]) => {
      if (op === "completions") return { index, text: ch.text, logprobs: null, finish_reason: ch.finish };
      const message: Json = { role: ch.role, content: ch.content ?? null };
      if (ch.refusal !== undefined) message.refusal = ch.refusal;
      if (ch.tools.length > 0)
        message.tool_calls = ch.tools.map((t) => ({
          id: t.id,
          type: t.type ?? "function",
          function: { name: t.name, arguments: t.args },
        }));
      return { index, message, finish_reason: ch.finish };
    });
  const u = seenUsage ?? usage;
  if (u) out.usage = u;
  return out;
}

function mergeTool(tools: ToolCall[], t: Json): void {
  const i = typeof t.index === "number" ? t.index : tools.length;
  tools[i] ??= { name: "", args: "" };
  const slot = tools[i];
  if (typeof t.id === "string") slot.id = t.id;
  if (typeof t.type === "string") slot.type = t.type;
  const f = (t.function ?? {}) as Json;
  if (typeof f.name === "string") slot.name += f.name;
  if (typeof f.arguments === "string") slot.args += f.arguments;
}
