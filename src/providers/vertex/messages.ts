/**
 * OpenAI chat messages -> Gemini `contents` and `systemInstruction` (generateContent's request body,
 * the same on Vertex AI and AI Studio). Pure.
 */

export interface Part {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { name: string; args: unknown };
  functionResponse?: { name: string; response: unknown };
}

export interface Content {
  role: "user" | "model";
  parts: Part[];
}

interface OpenAIMessage {
  role?: unknown;
  content?: unknown;
  name?: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
}

/** A request Gemini cannot be sent as is: the client's mistake (400), never the deployment's. */
export class BadChatRequest extends Error {}

export function toContents(messages: unknown): {
  contents: Content[];
  systemInstruction: { parts: Part[] } | undefined;
} {
  if (!Array.isArray(messages)) throw new BadChatRequest("messages must be an array");
  const system: Part[] = [];
  const contents: Content[] = [];
  // Gemini names a function's answer by the function; OpenAI by the call's id.
  const callNames = new Map<string, string>();
  const push = (role: Content["role"], parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    // Consecutive turns of one role are one turn to Gemini (tool results after a parallel call, too).
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const raw of messages as OpenAIMessage[]) {
    const m = raw ?? {};
    switch (m.role) {
      case "system":
      case "developer":
        system.push(...textParts(m.content));
        break;
      case "user":
        push("user", userParts(m.content));
        break;
      case "assistant": {
        const parts = textParts(m.content);
        for (const c of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
          const call = c as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
          const name = String(call.function?.name ?? "");
          if (typeof call.id === "string") callNames.set(call.id, name);
          parts.push({ functionCall: { name, args: parseArgs(call.function?.arguments) } });
        }
        push("model", parts);
        break;
      }
      case "tool":
      case "function": {
        const id = typeof m.tool_call_id === "string" ? m.tool_call_id : undefined;
        const name = (id && callNames.get(id)) ?? (typeof m.name === "string" ? m.name : "");
        push("user", [{ functionResponse: { name, response: toolResponse(m.content) } }]);
        break;
      }
      default:
        throw new BadChatRequest(`unsupported message role ${JSON.stringify(m.role)}`);
    }
  }
  // Gemini refuses a request without contents: a system-only conversation is asked as the user's turn.
  if (contents.length === 0 && system.length > 0)
    return { contents: [{ role: "user", parts: system }], systemInstruction: undefined };
  return { contents, systemInstruction: system.length > 0 ? { parts: system } : undefined };
}

function textParts(content: unknown): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content))
    throw new BadChatRequest("message content must be a string or an array of parts");
  const out: Part[] = [];
  for (const p of content as Array<{ type?: unknown; text?: unknown }>) {
    if (p?.type === "text" && typeof p.text === "string") out.push({ text: p.text });
  }
  return out;
}

function userParts(content: unknown): Part[] {
  if (!Array.isArray(content)) return textParts(content);
  const out: Part[] = [];
  for (const p of content as Array<{ type?: unknown; text?: unknown; image_url?: unknown }>) {
    if (p?.type === "text" && typeof p.text === "string") out.push({ text: p.text });
    else if (p?.type === "image_url") out.push(imagePart(p.image_url));
    else throw new BadChatRequest(`unsupported content part type ${JSON.stringify(p?.type)}`);
  }
  return out;
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;
const MIME_BY_EXT: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  pdf: "application/pdf",
};

/** Inline base64 stays inline; a URL (gs:// or https://) is handed to Gemini as file data, never fetched by us. */
function imagePart(v: unknown): Part {
  const url = typeof v === "string" ? v : (v as { url?: unknown } | null)?.url;
  if (typeof url !== "string" || url === "") throw new BadChatRequest("image_url.url is required");
  const m = DATA_URL.exec(url);
  if (m) return { inlineData: { mimeType: m[1], data: m[2] } };
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase() ?? "";
  return { fileData: { mimeType: MIME_BY_EXT[ext] ?? "image/jpeg", fileUri: url } };
}

function parseArgs(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  if (args.trim() === "") return {};
  try {
    return JSON.parse(args);
  } catch {
    throw new BadChatRequest("tool_calls[].function.arguments is not valid JSON");
  }
}

/** Gemini wants an object: a JSON object result as it is, anything else wrapped as `{content}`. */
function toolResponse(content: unknown): unknown {
  const text =
    typeof content === "string"
      ? content
      : textParts(content)
          .map((p) => p.text)
          .join("");
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch {
    // not JSON: plain text
  }
  return { content: text };
}
