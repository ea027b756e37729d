import OpenAI, { type APIError, AzureOpenAI, type PermissionDeniedError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

/** The official openai package, unmodified, pointed at the gateway as any user would. */
const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream
      region_name: eu
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-us
      api_base: {{us}}
      api_key: az-us-upstream
      region_name: us
  - model_name: us-only
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {{us}}/v1
      region_name: us
  - model_name: text-embedding-3-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      region_name: eu
router_settings:
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`;

describe("openai SDK against the gateway", () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    const c = await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth);
    expect(c.status).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("chat.completions.create, with the residency headers readable from the SDK", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], user: "cust-eu" })
      .withResponse();
    expect(data.choices[0].message.content).toBe("Hello from eu");
    expect(data.usage?.total_tokens).toBe(15);
    expect(response.headers.get("x-litellm-model-region")).toBe("eu");
    expect(response.headers.get("x-litellm-api-base")).toBe(`${h.upstreams.eu.url}/v1`);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("streaming chat with for await", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      user: "cust-eu",
    });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe("Hello from eu part 1 part 2");
    expect(finish).toBe("stop");
  });

  it("a stream cut by upstream surfaces as an APIError carrying our code", async () => {
    h.upstreams.eu.next({ cutAfterChunks: 2, chunkIntervalMs: 30 });
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      user: "cust-eu",
    });
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as APIError).code).toBe("upstream_connection_error");
    expect(text).toBe("Hello from eu");
  });

  it("embeddings (the SDK asks for base64 and decodes it)", async () => {
    const r = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0].embedding.map((x) => Math.round(x * 10) / 10)).toEqual([0.1, 0.2, 0.3]);
    expect(h.upstreams.eu.requests[0].body?.encoding_format).toBe("base64");
    const f = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: "a",
      encoding_format: "float",
    });
    expect(f.data[0].embedding).toEqual([0.1, 0.2, 0.3]);
  });

  it("legacy completions", async () => {
    const r = await client.completions.create({ model: "gpt-4o", prompt: "say hi", user: "cust-eu" });
    expect(r.choices[0].text).toBe("Hello from eu");
  });

  it("models.list and models.retrieve", async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(["gpt-4o", "text-embedding-3-small", "us-only"]);
    expect((await client.models.retrieve("us-only")).id).toBe("us-only");
    await expect(client.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("AzureOpenAI client (endpoint = gateway, deployment in the path, api-key header)", async () => {
    const az = new AzureOpenAI({
      endpoint: h.url,
      apiKey: "sk-1234",
      apiVersion: "2024-10-21",
      deployment: "gpt-4o",
      maxRetries: 0,
    });
    const r = await az.chat.completions.create({
      model: "ignored-by-azure",
      messages: [{ role: "user", content: "hi" }],
      user: "cust-eu",
    });
    expect(r.choices[0].message.content).toBe("Hello from eu");
    const azEmb = new AzureOpenAI({
      endpoint: h.url,
      apiKey: "sk-1234",
      apiVersion: "2024-10-21",
      deployment: "text-embedding-3-small",
      maxRetries: 0,
    });
    const emb = await azEmb.embeddings.create({
      model: "text-embedding-3-small",
      input: "hi",
      encoding_format: "float",
    });
    expect(emb.data[0].embedding).toEqual([0.1, 0.2, 0.3]);
  });

  it("403 no_deployment_in_region is a PermissionDeniedError with our code", async () => {
    const err = await client.chat.completions
      .create({ model: "us-only", messages: [{ role: "user", content: "hi" }], user: "cust-eu" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const e = err as PermissionDeniedError;
    expect(e.status).toBe(403);
    expect(e.code).toBe("no_deployment_in_region");
    expect(e.type).toBe("permission_error");
    expect(e.message).toContain('"eu"');
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("other gateway errors map to the SDK's classes", async () => {
    const bad = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    const auth = await bad.models.list().catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((auth as APIError).code).toBe("invalid_api_key");

    const model = await client.chat.completions
      .create({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(model).toBeInstanceOf(OpenAI.BadRequestError);
    expect((model as APIError).code).toBe("invalid_model");
    expect((model as APIError).param).toBe("model");

    h.upstreams.eu.next({ status: 429, headers: { "retry-after": "1" } });
    const limited = await client.embeddings
      .create({ model: "text-embedding-3-small", input: "x" })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
