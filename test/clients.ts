/** Shared by the client-library tests (src/http/sdk-clients*.test.ts). */
export const NODE_MAJOR = Number(process.versions.node.split(".")[0]);
export const CLIENTS_SKIP_REASON =
  NODE_MAJOR < 22
    ? `(skipped on Node ${process.versions.node}: ai 7, @ai-sdk/* 4, @langchain/openai 1 and @openai/agents need Node >= 22; CI runs this on the LTS Node, see .ci/run)`
    : "";

export const CLIENTS_YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu }
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{us}}/v1", region_name: us }
  - model_name: gpt-4o-azure
    litellm_params: { model: azure/gpt-4o-eu, api_base: "{{eu}}", api_key: az-eu, api_version: v1, region_name: eu }
  - model_name: gpt-4o-azure
    litellm_params: { model: azure/gpt-4o-us, api_base: "{{us}}", api_key: az-us, api_version: v1, region_name: us }
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
`;
