/**
 * Responses API request -> chat completions request, for deployments that speak only chat. Pure.
 * What chat cannot carry (built-in tools such as web_search, reasoning items, item references) is
 * left out, as LiteLLM's bridge does; function tools, their calls and outputs, images, files,
 * instructions and structured output are carried over.
 */

export type ChatMessage = Record<string, unknown> & { role: string };

type Item = Record<string, unknown>;

/** The messages this request adds to a conversation (not its instructions, which are per request). */
export function inputMessages(input: unknown): ChatMessage[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return [{ role: "user", content: input }];
  if (!Array.isArray(input)) return [];
  const out: ChatMessage[] = [];
  for (const raw of input as Item[]) {
    if (!raw || typeof raw !== "object") continue;
    const type = raw.type ?? (raw.role !== undefined ? "message" : undefined);
    if (type === "message") {
      const role = raw.role === "developer" ? "system" : String(raw.role ?? "user");
      out.push({ role, content: messageContent(raw.content, role) });
    } else if (type === "function_call") {
      const call = {
        id: String(raw.call_id ?? raw.id ?? ""),
        type: "function",
        function: { name: String(raw.name ?? ""), arguments: String(raw.arguments ?? "") },
      };
      const prev = out[out.length - 1];
      // consecutive calls (parallel tool calls) belong to one assistant turn
      if (prev && prev.role === "assistant" && Array.isArray(prev.tool_calls))
        (prev.tool_calls as unknown[]).push(call);
      else if (prev && prev.role === "assistant" && prev.tool_calls === undefined) prev.tool_calls = [call];
      else out.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (type === "function_call_output") {
      out.push({ role: "tool", tool_call_id: String(raw.call_id ?? ""), content: outputText(raw.output) });
    }
    // reasoning, item_reference and built-in tool items have no chat equivalent
  }
  return out;
}

function messageContent(content: unknown, role: string): unknown {
  if (typeof content === "string" || content === null || content === undefined) return content ?? "";
  if (!Array.isArray(content)) return String(content);
  const parts: Item[] = [];
  for (const p of content as Item[]) {
    if (!p || typeof p !== "object") continue;
    if (p.type === "input_text" || p.type === "output_text" || p.type === "text")
      parts.push({ type: "text", text: String(p.text ?? "") });
    else if (p.type === "refusal") parts.push({ type: "text", text: String(p.refusal ?? "") });
    else if (p.type === "input_image") {
      const url = typeof p.image_url === "string" ? p.image_url : p.file_id ? String(p.file_id) : "";
      const image: Item = { url };
      if (p.detail !== undefined) image.detail = p.detail;
      parts.push({ type: "image_url", image_url: image });
    } else if (p.type === "input_file") {
      const file: Item = {};
      for (const k of ["file_data", "file_id", "filename"]) if (p[k] !== undefined) file[k] = p[k];
      parts.push({ type: "file", file });
    }
  }
  // assistant and system turns are plain text in every chat dialect
  if (role !== "user" || parts.every((p) => p.type === "text"))
    return parts.map((p) => (p.type === "text" ? String(p.text) : "")).join("");
  return parts;
}

function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output))
    return (output as Item[])
      .map((p) => (p && typeof p === "object" && typeof p.text === "string" ? p.text : ""))
      .join("");
  return JSON.stringify(output ?? "");
}

/** The chat body for a Responses body, after the earlier turns (`history`) of its conversation. */
export function toChatBody(body: Readonly<Record<string, unknown>>, history: readonly ChatMessage[]): Item {
  const messages: ChatMessage[] = [];
  if (typeof body.instructions === "string" && body.instructions !== "")
    messages.push({ role: "system", content: body.instructions });
  messages.push(...history, ...inputMessages(body.input));
  const out: Item = { model: body.model, messages };
  if (body.stream === true) out.stream = true;
  for (const k of ["temperature", "top_p", "user", "metadata", "seed", "stop"])
    if (body[k] !== undefined && body[k] !== null) out[k] = body[k];
  if (typeof body.max_output_tokens === "number") out.max_tokens = body.max_output_tokens;
  const tools = Array.isArray(body.tools) ? (body.tools as Item[]).filter((t) => t?.type === "function") : [];
  if (tools.length > 0) {
    out.tools = tools.map((t) => {
      const fn: Item = { name: t.name };
      for (const k of ["description", "parameters", "strict"])
        if (t[k] !== undefined && t[k] !== null) fn[k] = t[k];
      return { type: "function", function: fn };
    });
    if (body.parallel_tool_calls !== undefined && body.parallel_tool_calls !== null)
      out.parallel_tool_calls = body.parallel_tool_calls;
    const choice = toolChoice(body.tool_choice);
    if (choice !== undefined) out.tool_choice = choice;
  }
  const format = (body.text as { format?: Item } | undefined)?.format;
  if (format?.type === "json_schema") {
    const schema: Item = { name: format.name ?? "response", schema: format.schema };
    if (format.strict !== undefined && format.strict !== null) schema.strict = format.strict;
    if (typeof format.description === "string") schema.description = format.description;
    out.response_format = { type: "json_schema", json_schema: schema };
  } else if (format?.type === "json_object") out.response_format = { type: "json_object" };
  const effort = (body.reasoning as { effort?: unknown } | undefined)?.effort;
  if (typeof effort === "string") out.reasoning_effort = effort;
  return out;
}

function toolChoice(c: unknown): unknown {
  if (typeof c === "string") return c;
  if (c && typeof c === "object" && (c as Item).type === "function")
    return { type: "function", function: { name: (c as Item).name } };
  return undefined;
}
