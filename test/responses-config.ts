/**
 * The Responses tests' config: `gpt-4o` with a /responses deployment in eu and in us, and
 * `chat-only` (use_chat_completions_api: translated) in eu, optionally in us too.
 */
export function responsesYaml(o: { chatOnlyInUs?: boolean; numRetries?: number } = {}): string {
  const chatOnly = (region: string) => `
  - model_name: chat-only
    litellm_params:
      model: openai/llama-3
      api_base: {{${region}}}/v1
      use_chat_completions_api: true
      region_name: ${region}`;
  return `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      region_name: eu
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{us}}/v1
      region_name: us${chatOnly("eu")}${o.chatOnlyInUs ? chatOnly("us") : ""}
${o.numRetries === undefined ? "" : `router_settings:\n  num_retries: ${o.numRetries}\n`}general_settings:
  master_key: sk-1234
`;
}
