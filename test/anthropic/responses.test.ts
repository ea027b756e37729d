import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnthropicFake } from "../fakes/anthropic.js";
import { type Harness, post, startHarness } from "../harness.js";

/**
 * The Responses API on anthropic/ deployments with no code of Anthropic's own: the gateway's
 * Responses <-> chat layer over the provider's chat translation. A us-pinned customer; the global
 * deployment (no inference_geo) is never asked.
 */
const YAML = `
model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_base: "{{global}}", api_key: sk-ant-global-key }
    model_info: { id: claude-global }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_base: "{{us}}", api_key: sk-ant-us-key, inference_geo: us }
    model_info: { id: claude-us }
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
`;

const fakes = { global: new AnthropicFake("global"), us: new AnthropicFake("us") };

describe("Responses API on anthropic/ (translated over chat)", () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    let yaml = YAML;
    for (const [k, f] of Object.entries(fakes)) yaml = yaml.replaceAll(`{{${k}}}`, (await f.start()).url);
    h = await startHarness({ yaml, upstreams: [] });
    expect(
      (await post(`${h.url}/end_user/new`, { user_id: "cust-us", allowed_model_region: "us" }, h.auth))
        .status,
    ).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
    for (const f of Object.values(fakes)) await f.stop();
  });

  it("create (JSON and streamed) says what chat says, with usage; previous_response_id continues; never global", async () => {
    const chat = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "hi" }],
      user: "cust-us",
    });
    const r = await client.responses.create({ model: "claude", input: "hi", user: "cust-us" });
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe(chat.choices[0].message.content);
    expect(r.usage?.input_tokens).toBe(chat.usage?.prompt_tokens);
    const s = client.responses.stream({
      model: "claude",
      input: "more",
      previous_response_id: r.id,
      user: "cust-us",
    });
    const final = await s.finalResponse();
    expect(final.output_text.length).toBeGreaterThan(0);
    expect(final.previous_response_id).toBe(r.id);
    expect(fakes.global.hits).toBe(0);
    expect(fakes.us.hits).toBe(3);
  });
});
