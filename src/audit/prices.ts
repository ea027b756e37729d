import type { Deployment } from "../router/deployment.js";
import type { Usage } from "../wire/usage.js";

/**
 * Built-in list prices, USD per 1M tokens [input, output]: the providers' published standard
 * (on-demand, non-batch, smallest context tier) prices — openai.com/api/pricing,
 * anthropic.com/pricing, aws.amazon.com/bedrock/pricing, ai.google.dev/gemini-api/docs/pricing —
 * the same figures LiteLLM's model_prices_and_context_window.json carries. Compiled 2026-12-03;
 * not updated automatically: `model_info.input_cost_per_token` / `output_cost_per_token` override.
 * Azure OpenAI bills the same list prices as OpenAI for its standard deployments.
 */
export const PRICE_TABLE_SOURCE = "providers' published list prices, compiled 2026-12-03";

const PER_MILLION: Record<string, readonly [number, number]> = {
  // OpenAI (and Azure OpenAI)
  "gpt-4o": [2.5, 10],
  "gpt-4o-mini": [0.15, 0.6],
  "gpt-4.1": [2, 8],
  "gpt-4.1-mini": [0.4, 1.6],
  "gpt-4.1-nano": [0.1, 0.4],
  "gpt-4-turbo": [10, 30],
  "gpt-4": [30, 60],
  "gpt-3.5-turbo": [0.5, 1.5],
  "gpt-35-turbo": [0.5, 1.5],
  o1: [15, 60],
  "o1-mini": [1.1, 4.4],
  o3: [2, 8],
  "o3-mini": [1.1, 4.4],
  "o4-mini": [1.1, 4.4],
  "gpt-5": [1.25, 10],
  "gpt-5-mini": [0.25, 2],
  "gpt-5-nano": [0.05, 0.4],
  "text-embedding-3-small": [0.02, 0],
  "text-embedding-3-large": [0.13, 0],
  "text-embedding-ada-002": [0.1, 0],
  // Anthropic (direct and on Bedrock / Vertex: same list prices)
  "claude-3-haiku": [0.25, 1.25],
  "claude-3-5-haiku": [0.8, 4],
  "claude-3-sonnet": [3, 15],
  "claude-3-5-sonnet": [3, 15],
  "claude-3-7-sonnet": [3, 15],
  "claude-sonnet-4": [3, 15],
  "claude-3-opus": [15, 75],
  "claude-opus-4": [15, 75],
  // Bedrock model ids (provider prefix and region profile stripped before lookup)
  "anthropic.claude-3-haiku": [0.25, 1.25],
  "anthropic.claude-3-5-haiku": [0.8, 4],
  "anthropic.claude-3-sonnet": [3, 15],
  "anthropic.claude-3-5-sonnet": [3, 15],
  "anthropic.claude-3-7-sonnet": [3, 15],
  "anthropic.claude-sonnet-4": [3, 15],
  "anthropic.claude-opus-4": [15, 75],
  "amazon.nova-micro": [0.035, 0.14],
  "amazon.nova-lite": [0.06, 0.24],
  "amazon.nova-pro": [0.8, 3.2],
  "meta.llama3-1-8b-instruct": [0.22, 0.22],
  "meta.llama3-1-70b-instruct": [0.72, 0.72],
  // Gemini (Gemini API and Vertex AI)
  "gemini-1.5-flash": [0.075, 0.3],
  "gemini-1.5-pro": [1.25, 5],
  "gemini-2.0-flash": [0.1, 0.4],
  "gemini-2.0-flash-lite": [0.075, 0.3],
  "gemini-2.5-flash": [0.3, 2.5],
  "gemini-2.5-flash-lite": [0.1, 0.4],
  "gemini-2.5-pro": [1.25, 10],
  "text-embedding-004": [0.025, 0],
};

/** Longest names first, so `gpt-4o-mini-2024-07-18` finds `gpt-4o-mini` before `gpt-4o`. */
const NAMES = Object.keys(PER_MILLION).sort((a, b) => b.length - a.length);

export interface Price {
  input: number;
  output: number;
  source: "model_info" | "table";
}

/**
 * Per-token price of a model name as sent upstream: exact, else the longest known name it starts
 * with (dated versions, `-latest`, Bedrock `:0` suffixes). Region profiles (`eu.`, `us.`, `global.`)
 * and path prefixes (`publishers/google/models/`) are stripped first.
 */
export function tablePrice(model: string): Price | undefined {
  let m = model.toLowerCase().trim();
  m = m.slice(m.lastIndexOf("/") + 1);
  m = m.replace(/^(eu|us|apac|jp|au|ca|global|us-gov)\./, "");
  const name = PER_MILLION[m]
    ? m
    : NAMES.find((n) => m.startsWith(n) && /^[-@:._]|^$/.test(m.slice(n.length)));
  if (!name) return undefined;
  const [i, o] = PER_MILLION[name];
  return { input: i / 1e6, output: o / 1e6, source: "table" };
}

/** The deployment's price: model_info / litellm_params costs when configured, else the table. */
export function priceOf(d: Deployment): Price | undefined {
  if (d.inputCostPerToken !== undefined || d.outputCostPerToken !== undefined)
    return { input: d.inputCostPerToken ?? 0, output: d.outputCostPerToken ?? 0, source: "model_info" };
  if (d.mockResponse !== undefined) return undefined;
  return tablePrice(d.upstreamModel);
}

export function costOf(price: Price | undefined, usage: Usage | undefined): number | undefined {
  if (!price || !usage) return undefined;
  return usage.prompt * price.input + usage.completion * price.output;
}
