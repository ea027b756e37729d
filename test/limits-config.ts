/** Deployments with token prices (so requests cost), a router alias, a short spend flush. */
export const LIMITS_YAML = `
model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: openai/gpt-3.5-turbo
      api_base: {{eu}}/v1
      api_key: sk-upstream
      region_name: eu
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: openai/gpt-3.5-turbo
      api_base: {{us}}/v1
      api_key: sk-upstream
      region_name: us
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {{eu}}/v1
      api_key: sk-upstream
      region_name: eu
  - model_name: text-embedding-3-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      api_key: sk-upstream
      region_name: eu
router_settings:
  num_retries: 0
  model_group_alias: {"small": "gpt-3.5-turbo"}
general_settings:
  master_key: sk-1234
  proxy_batch_write_at: 0.05
`;

/** A virtual key in the Authorization header. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The chat every limits test sends. */
export const CHAT_MESSAGES = [{ role: "user", content: "hi" }];

/** The fake upstream's usage (10 prompt + 5 completion tokens) at LIMITS_YAML's prices: 0.02 a chat. */
export const CHAT_COST = 10 * 0.001 + 5 * 0.002;
