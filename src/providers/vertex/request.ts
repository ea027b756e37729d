import { BadChatRequest, toContents } from "./messages.js";

/**
 * An OpenAI chat completion request -> Gemini's generateContent body. Pure. `defaults` are the
 * deployment's litellm_params request defaults: they fill what the client left out (a key the client
 * sent, even as null, is the client's).
 */
export function toGenerateContent(
  body: Readonly<Record<string, unknown>>,
  defaults?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const b: Record<string, unknown> = { ...defaults };
  for (const k in body) if (body[k] !== undefined) b[k] = body[k];
  const { contents, systemInstruction } = toContents(b.messages);
  const out: Record<string, unknown> = { contents };
  if (systemInstruction) out.systemInstruction = systemInstruction;
  const generationConfig = toGenerationConfig(b);
  if (Object.keys(generationConfig).length > 0) out.generationConfig = generationConfig;
  const tools = toTools(b.tools);
  if (tools) out.tools = tools;
  const toolConfig = toToolConfig(b.tool_choice);
  if (toolConfig) out.toolConfig = toolConfig;
  // Gemini-only parameters LiteLLM passes on under these names.
  if (Array.isArray(b.safety_settings)) out.safetySettings = b.safety_settings;
  if (typeof b.cached_content === "string") out.cachedContent = b.cached_content;
  return out;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function toGenerationConfig(b: Record<string, unknown>): Record<string, unknown> {
  const g: Record<string, unknown> = {};
  const max = num(b.max_completion_tokens) ?? num(b.max_tokens);
  if (max !== undefined) g.maxOutputTokens = max;
  if (num(b.temperature) !== undefined) g.temperature = b.temperature;
  if (num(b.top_p) !== undefined) g.topP = b.top_p;
  if (num(b.n) !== undefined) g.candidateCount = b.n;
  if (num(b.presence_penalty) !== undefined) g.presencePenalty = b.presence_penalty;
  if (num(b.frequency_penalty) !== undefined) g.frequencyPenalty = b.frequency_penalty;
  if (num(b.seed) !== undefined) g.seed = b.seed;
  if (typeof b.stop === "string") g.stopSequences = [b.stop];
  else if (Array.isArray(b.stop) && b.stop.length > 0) g.stopSequences = b.stop;
  const thinking = thinkingConfig(b.reasoning_effort);
  if (thinking) g.thinkingConfig = thinking;
  const rf = b.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  if (rf?.type === "json_object") g.responseMimeType = "application/json";
  else if (rf?.type === "json_schema") {
    g.responseMimeType = "application/json";
    if (rf.json_schema?.schema) g.responseSchema = toGeminiSchema(rf.json_schema.schema);
  }
  return g;
}

/** reasoning_effort -> a thinking budget, LiteLLM's constants; "none"/"disable" turn thinking off. */
const THINKING_BUDGET: Record<string, number> = { minimal: 128, low: 1024, medium: 2048, high: 4096 };

function thinkingConfig(effort: unknown): Record<string, unknown> | undefined {
  if (typeof effort !== "string") return undefined;
  if (effort === "none" || effort === "disable") return { thinkingBudget: 0 };
  const budget = THINKING_BUDGET[effort];
  if (budget === undefined) throw new BadChatRequest(`unsupported reasoning_effort "${effort}"`);
  return { thinkingBudget: budget, includeThoughts: true };
}

function toTools(tools: unknown): unknown[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const functionDeclarations = tools.map((t) => {
    const f = (t as { type?: unknown; function?: Record<string, unknown> })?.function;
    if ((t as { type?: unknown })?.type !== "function" || !f || typeof f.name !== "string")
      throw new BadChatRequest("tools[] must be {type: function, function: {name, ...}}");
    const decl: Record<string, unknown> = { name: f.name };
    if (typeof f.description === "string") decl.description = f.description;
    if (f.parameters && typeof f.parameters === "object") decl.parameters = toGeminiSchema(f.parameters);
    return decl;
  });
  return [{ functionDeclarations }];
}

function toToolConfig(choice: unknown): Record<string, unknown> | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof name === "string")
    return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [name] } };
  throw new BadChatRequest("unsupported tool_choice");
}

/** JSON-Schema keywords Gemini's OpenAPI-subset Schema refuses. */
const UNSUPPORTED_SCHEMA_KEYS = new Set(["$schema", "additionalProperties", "strict", "$id"]);

/** A JSON Schema as Gemini's Schema object takes it: the keywords it refuses removed, at every depth. */
export function toGeminiSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toGeminiSchema);
  if (!s || typeof s !== "object") return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
    if (UNSUPPORTED_SCHEMA_KEYS.has(k)) continue;
    // property names are data, not keywords: keep them all, clean their schemas
    if (k === "properties" && v && typeof v === "object" && !Array.isArray(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, toGeminiSchema(ps)]));
    else out[k] = toGeminiSchema(v);
  }
  return out;
}
