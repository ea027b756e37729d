import type { Usage } from "../../wire/usage.js";

/** Anthropic's usage object (a response's, or a stream's message_start / message_delta). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * In OpenAI's terms, as LiteLLM reports it: prompt_tokens counts every input token (uncached, read
 * from the cache and written to it — Anthropic's input_tokens is only the first); the cache counts
 * are also given apart, in prompt_tokens_details and under Anthropic's own names.
 */
export function usageFromAnthropic(u: AnthropicUsage): Usage {
  const read = u.cache_read_input_tokens ?? 0;
  const created = u.cache_creation_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + read + created;
  const completion = u.output_tokens ?? 0;
  return {
    prompt,
    completion,
    total: prompt + completion,
    details: {
      prompt_tokens_details: { cached_tokens: read, cache_creation_tokens: created },
      cache_creation_input_tokens: created,
      cache_read_input_tokens: read,
    },
  };
}

/** A stream reports input counts at message_start and output (sometimes updated input) at message_delta. */
export function mergeUsage(a: AnthropicUsage, b: AnthropicUsage | undefined): AnthropicUsage {
  if (!b) return a;
  const out: AnthropicUsage = { ...a };
  for (const k of Object.keys(b) as (keyof AnthropicUsage)[]) if (b[k] != null) out[k] = b[k];
  return out;
}
