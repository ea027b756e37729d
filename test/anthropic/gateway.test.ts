import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEvents } from "../../src/wire/sse.js";
import { AnthropicFake } from "../fakes/anthropic.js";
import { type Harness, post, startHarness } from "../harness.js";
import { readChatStream } from "../sdk-stream.js";

/**
 * anthropic/ through the real gateway over real HTTP, the official openai SDK as the client, fake
 * Messages APIs speaking the real wire format. Anthropic has no EU processing: the global deployment
 * (no inference_geo) must never serve a pinned customer; `inference_geo: us` ones serve us customers;
 * the eu customer is served by the group's EU deployment (an OpenAI-compatible one here), whatever fails.
 */
const YAML = `
model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_base: "{{global}}", api_key: sk-ant-global-key }
    model_info: { id: claude-global }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_base: "{{usA}}", api_key: sk-ant-us-a-key, inference_geo: us, order: 1 }
    model_info: { id: claude-us-a }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_base: "{{usB}}/v1", api_key: sk-ant-us-b-key, inference_geo: us, region_name: us, order: 2 }
    model_info: { id: claude-us-b }
  - model_name: claude
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-eu, region_name: eu, order: 1 }
    model_info: { id: eu-openai }
  - model_name: claude-global-only
    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_base: "{{global}}", api_key: sk-ant-global-key }
    model_info: { id: claude-global-only }
router_settings:
  num_retries: 2
  disable_cooldowns: true
  fallbacks: [{ "claude-global-only": ["claude"] }]
general_settings:
  master_key: sk-1234
`;

const fakes = {
  global: new AnthropicFake("global"),
  usA: new AnthropicFake("us-a"),
  usB: new AnthropicFake("us-b"),
};
const anthropicHits = () => [fakes.global.hits, fakes.usA.hits, fakes.usB.hits];

describe("anthropic/ through the gateway", () => {
  let h: Harness;
  let client: OpenAI;

  beforeAll(async () => {
    let yaml = YAML;
    for (const [k, f] of Object.entries(fakes)) yaml = yaml.replaceAll(`{{${k}}}`, (await f.start()).url);
    h = await startHarness({ yaml, upstreams: ["eu"] });
    for (const [user_id, region] of [
      ["cust-us", "us"],
      ["cust-eu", "eu"],
    ]) {
      const c = await post(`${h.url}/end_user/new`, { user_id, allowed_model_region: region }, h.auth);
      expect(c.status).toBe(200);
    }
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
    for (const f of Object.values(fakes)) await f.stop();
  });
  beforeEach(() => {
    for (const f of Object.values(fakes)) f.reset();
    h.upstreams.eu.reset();
  });

  const messages = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "Say hello" },
  ];

  it("non-streaming, us customer: the Messages request goes to the us deployment, an OpenAI completion comes back", async () => {
    const r = await client.chat.completions.create({ model: "claude", user: "cust-us", messages });
    expect(r.choices[0].message.content).toBe("Hello! How can I help you today?");
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(r.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 });
    expect(anthropicHits()).toEqual([0, 1, 0]);
    const sent = fakes.usA.requests[0];
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("sk-ant-us-a-key");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.body).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      system: [{ type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: [{ type: "text", text: "Say hello" }] }],
      max_tokens: 4096,
      inference_geo: "us",
    });
  });

  it("streaming through the SDK: text deltas, one finish_reason, usage once when asked", async () => {
    fakes.usA.spacedMs = 2;
    const stream = await client.chat.completions.create({
      model: "claude",
      user: "cust-us",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finishes, usages } = await readChatStream(stream);
    expect(text).toBe("Hello, world!");
    expect(finishes).toEqual(["stop"]);
    expect(usages).toHaveLength(1);
    expect(usages[0]).toMatchObject({ prompt_tokens: 2520, completion_tokens: 15, total_tokens: 2535 });
    expect(fakes.usA.requests[0].body.stream).toBe(true);
  });

  it("streamed tool calls assemble in the SDK into complete calls", async () => {
    fakes.usA.next({ kind: "fixture", file: "tools.sse" });
    const stream = client.chat.completions.stream({
      model: "claude",
      user: "cust-us",
      messages,
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    });
    const done = await stream.finalChatCompletion();
    const calls = done.choices[0].message.tool_calls ?? [];
    expect(
      calls.map((c) =>
        c.type === "function" ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : [],
      ),
    ).toEqual([
      [
        "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        "get_weather",
        { location: "San Francisco, CA", unit: "fahrenheit" },
      ],
      ["toolu_02U2y2gK45rBnl3UOUsO8Vq7", "get_time", { tz: "America/Los_Angeles" }],
    ]);
    expect(done.choices[0].finish_reason).toBe("tool_calls");
  });

  for (const [name, first] of [
    ["a 529 overloaded", { kind: "fixture", file: "error-529.json", status: 529 }],
    ["a 429", { kind: "fixture", file: "error-429.json", status: 429, headers: { "retry-after": "0" } }],
    ["a 500", { kind: "fixture", file: "error-500.json", status: 500 }],
    ["an error event before any content", { kind: "fixture", file: "error-before-content.sse" }],
  ] as const) {
    it(`${name} at the first us deployment falls over to the other us one, never to global`, async () => {
      fakes.usA.next(first);
      const r = await post(
        `${h.url}/v1/chat/completions`,
        { model: "claude", user: "cust-us", messages, stream: true },
        h.auth,
      );
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-id")).toBe("claude-us-b");
      const events = parseEvents(Buffer.from(r.text));
      expect(events.at(-1)?.data).toBe("[DONE]");
      expect(anthropicHits()).toEqual([0, 1, 1]);
    });
  }

  it("every us deployment overloaded: the client gets a 503 envelope, global was never asked", async () => {
    fakes.usA.next({ kind: "fixture", file: "error-529.json", status: 529 }, 3);
    fakes.usB.next({ kind: "fixture", file: "error-529.json", status: 529 }, 3);
    const r = await post(
      `${h.url}/v1/chat/completions`,
      { model: "claude", user: "cust-us", messages },
      h.auth,
    );
    expect(r.status).toBe(503);
    expect(Object.keys(r.json.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(r.json.error.message).toContain("Overloaded");
    expect(fakes.global.hits).toBe(0);
    expect(fakes.usA.hits + fakes.usB.hits).toBe(3);
  });

  it("an error event after content ends the committed stream with an error event, no [DONE]", async () => {
    fakes.usA.next({ kind: "fixture", file: "error-mid-stream.sse" });
    const r = await post(
      `${h.url}/v1/chat/completions`,
      { model: "claude", user: "cust-us", messages, stream: true },
      h.auth,
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain("Partial answer");
    expect(r.text).not.toContain("[DONE]");
    const last = JSON.parse(parseEvents(Buffer.from(r.text)).at(-1)?.data ?? "{}");
    expect(last.error.message).toContain("Overloaded");
    expect(anthropicHits()).toEqual([0, 1, 0]);
  });

  it("an eu customer is served in eu, never by any Anthropic deployment, even when eu fails", async () => {
    const ok = await client.chat.completions.create({ model: "claude", user: "cust-eu", messages });
    expect(ok.choices[0].message.content).toContain("eu");
    h.upstreams.eu.next({ status: 500 }, 3);
    const r = await post(
      `${h.url}/v1/chat/completions`,
      { model: "claude", user: "cust-eu", messages },
      h.auth,
    );
    expect(r.status).toBe(500);
    expect(h.upstreams.eu.hits).toBe(4);
    expect(anthropicHits()).toEqual([0, 0, 0]);
  });

  it("a group with only the global Anthropic deployment falls back to the eu one for an eu customer", async () => {
    const r = await post(
      `${h.url}/v1/chat/completions`,
      { model: "claude-global-only", user: "cust-eu", messages },
      h.auth,
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("eu-openai");
    expect(anthropicHits()).toEqual([0, 0, 0]);
  });

  it("/model/info shows provider, geography and evidence for each Anthropic deployment", async () => {
    const r = await fetch(`${h.url}/model/info`, { headers: h.auth });
    const data = ((await r.json()) as { data: Array<{ model_info: Record<string, unknown> }> }).data;
    const byId = Object.fromEntries(data.map((e) => [e.model_info.id, e.model_info]));
    expect(byId["claude-global"]).toMatchObject({ provider: "anthropic", geography: null });
    expect(byId["claude-global"].evidence).toContain("inference may run in any geography");
    expect(byId["claude-us-a"]).toMatchObject({
      provider: "anthropic",
      geography: "us",
      region_source: "inference_geo",
    });
    expect(byId["claude-us-b"].evidence).toContain("agrees with region_name: us");
    expect(JSON.stringify(data)).not.toContain("sk-ant-");
  });
});
