import type { Deployment } from "../../router/deployment.js";
import { convertMessages } from "./messages.js";

/** LiteLLM's default when the client sets no max_tokens (the Messages API requires one). */
export const DEFAULT_MAX_TOKENS = 4096;
/** The tool JSON mode is carried by, as LiteLLM names it (its answer becomes the message content). */
export const JSON_TOOL = "json_tool_call";
/** reasoning_effort -> thinking budget, LiteLLM's constants. */
const THINKING_BUDGET: Record<string, number> = { low: 1024, medium: 2048, high: 4096 };

type Body = Readonly<Record<string, unknown>>;

/** The client's body over the deployment's litellm_params defaults (a key the client sent wins). */
export function effectiveBody(d: Deployment, body: Body): Body {
  if (!d.requestDefaults) return body;
  const out: Record<string, unknown> = { ...body };
  for (const [k, v] of Object.entries(d.requestDefaults)) if (out[k] === undefined) out[k] = v;
  return out;
}

/** response_format asks for JSON: answered through a forced tool, as LiteLLM does. */
export function isJsonMode(body: Body): boolean {
  const rf = body.response_format as { type?: unknown } | undefined;
  return rf?.type === "json_object" || rf?.type === "json_schema";
}

/** One OpenAI chat body -> the Messages API body. Pure. */
export function anthropicBody(d: Deployment, clientBody: Body, stream: boolean): Record<string, unknown> {
  const body = effectiveBody(d, clientBody);
  const { system, messages } = convertMessages(body.messages);
  const out: Record<string, unknown> = {
    model: d.upstreamModel,
    messages,
    max_tokens: num(body.max_tokens) ?? num(body.max_completion_tokens) ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) out.system = system;
  for (const k of ["temperature", "top_p", "top_k"] as const) if (body[k] != null) out[k] = body[k];
  const stop = stopSequences(body.stop);
  if (stop) out.stop_sequences = stop;

  const tools = Array.isArray(body.tools) ? body.tools.map(anthropicTool) : [];
  let toolChoice = mapToolChoice(body.tool_choice, body.parallel_tool_calls);
  const thinking = thinkingOf(body);
  if (thinking) out.thinking = thinking;
  if (isJsonMode(body)) {
    tools.push({ name: JSON_TOOL, input_schema: jsonSchemaOf(body.response_format) });
    // With extended thinking the API refuses a forced tool; the model is then only asked to use it.
    if (!thinking) toolChoice = { type: "tool", name: JSON_TOOL };
  }
  if (tools.length > 0) out.tools = tools;
  if (toolChoice) out.tool_choice = toolChoice;

  const user = body.user;
  if (typeof user === "string" && validUserId(user)) out.metadata = { user_id: user };
  if (stream) out.stream = true;
  // The deployment's inference_geo is what placed it in a geography: no client may send another.
  const geo = d.providerParams?.inference_geo;
  if (typeof geo === "string") out.inference_geo = geo;
  return out;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

function stopSequences(stop: unknown): string[] | undefined {
  const list = typeof stop === "string" ? [stop] : Array.isArray(stop) ? stop : [];
  // The API refuses whitespace-only stop sequences.
  const kept = list.filter((s): s is string => typeof s === "string" && s.trim() !== "");
  return kept.length > 0 ? kept : undefined;
}

function anthropicTool(t: unknown): Record<string, unknown> {
  const tool = t as Record<string, unknown>;
  if (tool && "input_schema" in tool) return tool; // already in Anthropic's shape
  const fn = (tool?.function ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {
    name: fn.name,
    input_schema: fn.parameters ?? { type: "object", properties: {} },
  };
  if (fn.description !== undefined) out.description = fn.description;
  if (tool?.cache_control !== undefined) out.cache_control = tool.cache_control;
  return out;
}

function mapToolChoice(choice: unknown, parallel: unknown): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  if (choice === "auto") out = { type: "auto" };
  else if (choice === "required") out = { type: "any" };
  else if (choice === "none") out = { type: "none" };
  else if (choice && typeof choice === "object") {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    out = name === undefined ? { type: "tool" } : { type: "tool", name };
  }
  if (typeof parallel === "boolean" && choice !== "none") {
    // Anthropic's flag is the inverse of OpenAI's.
    out = { ...(out ?? { type: "auto" }), disable_parallel_tool_use: !parallel };
  }
  return out;
}

function jsonSchemaOf(rf: unknown): Record<string, unknown> {
  const schema = (rf as { json_schema?: { schema?: unknown } }).json_schema?.schema;
  if (schema && typeof schema === "object") return { type: "object", ...(schema as object) };
  return { type: "object", additionalProperties: true, properties: {} };
}

function thinkingOf(body: Body): unknown {
  if (body.thinking && typeof body.thinking === "object") return body.thinking;
  const effort = body.reasoning_effort;
  if (typeof effort === "string" && THINKING_BUDGET[effort] !== undefined)
    return { type: "enabled", budget_tokens: THINKING_BUDGET[effort] };
  return undefined;
}

/** Anthropic refuses user ids that look like an e-mail address or a phone number (LiteLLM skips them). */
function validUserId(id: string): boolean {
  return !/^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$/.test(id) && !/^\+?[\d\s()-]{7,}$/.test(id);
}
