import { z } from "zod";

/**
 * OpenAI request parameters a deployment's `litellm_params` may carry. LiteLLM sends them with
 * every call to that deployment unless the client set its own, so they are not ignorable extras.
 */
const num = z.union(
  [
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ],
  {
    error: "expected a number",
  },
);
const int = num.pipe(z.number().int());

export const requestDefaultsShape = {
  temperature: num.optional(),
  top_p: num.optional(),
  n: int.optional(),
  max_tokens: int.optional(),
  max_completion_tokens: int.optional(),
  presence_penalty: num.optional(),
  frequency_penalty: num.optional(),
  seed: int.optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  logit_bias: z.record(z.string(), z.number()).optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: int.optional(),
  response_format: z.record(z.string(), z.unknown()).optional(),
  tools: z.array(z.unknown()).optional(),
  tool_choice: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  reasoning_effort: z.string().optional(),
  service_tier: z.string().optional(),
  dimensions: int.optional(),
  encoding_format: z.string().optional(),
} as const;

export const REQUEST_DEFAULT_KEYS = Object.keys(requestDefaultsShape);

/** The defaults set on one deployment, or undefined when none (the hot path then skips the merge). */
export function pickRequestDefaults(
  params: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k of REQUEST_DEFAULT_KEYS) {
    if (params[k] === undefined) continue;
    out ??= {};
    out[k] = params[k];
  }
  return out && Object.freeze(out);
}
