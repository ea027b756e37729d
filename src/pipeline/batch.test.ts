import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { batchModels } from "./batch.js";

const YAML = `
model_list:
  - model_name: gpt-eu
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
    model_info: { id: gpt-eu-1 }
  - model_name: gpt-us
    litellm_params:
      model: openai/gpt-4o
      api_base: {{us}}/v1
      api_key: sk-us-upstream-secret
      region_name: us
    model_info: { id: gpt-us-1 }
  - model_name: both
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
    model_info: { id: both-eu }
  - model_name: both
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {{us}}/v1
      api_key: sk-us-upstream-secret
      region_name: us
    model_info: { id: both-us }
general_settings:
  master_key: sk-1234
`;

const messages = [{ role: "user", content: "hi" }];

describe("batch completions (model: 'a,b')", () => {
  let h: Harness;
  let euCustomer: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    const r = await post(
      `${h.url}/customer/new`,
      { user_id: "batch-eu", allowed_model_region: "eu" },
      h.auth,
    );
    expect(r.status, r.text).toBe(200);
    euCustomer = { ...h.auth, "x-litellm-customer-id": "batch-eu" };
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("recognises only a comma list in a chat body", () => {
    const call = (op: "chat" | "embeddings", model: unknown, pathModel?: string) =>
      batchModels({ op, pathModel, body: { model } });
    expect(call("chat", "a, b,")).toEqual(["a", "b"]);
    expect(call("chat", "a")).toBeUndefined();
    expect(call("embeddings", "a,b")).toBeUndefined();
    expect(call("chat", "a,b", "dep")).toBeUndefined();
    expect(call("chat", 3)).toBeUndefined();
  });

  it("answers a list, one completion per model in order, each routed normally", async () => {
    const r = await post(`${h.url}/v1/chat/completions`, { model: "gpt-us,gpt-eu", messages }, h.auth);
    expect(r.status, r.text).toBe(200);
    expect(Array.isArray(r.json)).toBe(true);
    expect(r.json.map((c: { object: string }) => c.object)).toEqual(["chat.completion", "chat.completion"]);
    expect(r.json[0].choices[0].message.content).toBe("Hello from us");
    expect(r.json[1].choices[0].message.content).toBe("Hello from eu");
    expect(r.headers.get("x-meridian-batch-deployments")).toBe("gpt-us-1,gpt-eu-1");
    expect(r.headers.get("x-meridian-batch-regions")).toBe("us,eu");
    expect(r.headers.get("x-litellm-call-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.upstreams.us.requests.map((q) => q.body?.model)).toEqual(["gpt-4o"]);
    expect(h.upstreams.eu.requests.map((q) => q.body?.messages)).toEqual([messages]);
  });

  it("keeps a region-pinned caller in region for every model: out-of-region slots are refusals", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await post(
        `${h.url}/chat/completions`,
        { model: "both,gpt-us,gpt-eu", messages },
        euCustomer,
      );
      expect(r.status, r.text).toBe(200);
      expect(r.json[0].choices[0].message.content).toBe("Hello from eu");
      expect(r.json[1]).toEqual({
        error: expect.objectContaining({ code: "no_deployment_in_region", type: "permission_error" }),
      });
      expect(r.json[2].choices[0].message.content).toBe("Hello from eu");
      expect(r.headers.get("x-meridian-batch-regions")).toBe("eu,-,eu");
    }
    expect(h.upstreams.us.hits).toBe(0);
    expect(h.upstreams.eu.hits).toBe(10);
  });

  it("answers a plain error envelope when no model could serve", async () => {
    const r = await post(`${h.url}/chat/completions`, { model: "gpt-us,gpt-us", messages }, euCustomer);
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("no_deployment_in_region");
    expect(Object.keys(r.json.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("refuses before any call: an unknown model, a stream, too many models", async () => {
    const unknown = await post(`${h.url}/chat/completions`, { model: "gpt-eu,nope", messages }, h.auth);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: "invalid_model", param: "model" });
    expect(unknown.json.error.message).toContain("nope");
    const stream = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-eu,gpt-us", messages, stream: true },
      h.auth,
    );
    expect(stream.status).toBe(400);
    expect(stream.json.error).toMatchObject({ code: "invalid_request", param: "stream" });
    const many = await post(
      `${h.url}/chat/completions`,
      { model: Array(11).fill("gpt-eu").join(","), messages },
      h.auth,
    );
    expect(many.status).toBe(400);
    expect(many.json.error.param).toBe("model");
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);
  });
});
