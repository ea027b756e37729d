import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, embed, generateText, streamText } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

/** The Vercel AI SDK (ai v5 + @ai-sdk/openai v2), unmodified, against the gateway. */
const YAML = `
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
      region_name: us
  - model_name: us-only
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {{us}}/v1
      region_name: us
  - model_name: embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      region_name: eu
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
`;

describe("Vercel AI SDK against the gateway", () => {
  let h: Harness;
  let gateway: ReturnType<typeof createOpenAI>;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth);
    // The customer rides in a header: the AI SDK has no per-call `user` for every model type.
    gateway = createOpenAI({
      baseURL: `${h.url}/v1`,
      apiKey: "sk-1234",
      headers: { "x-litellm-customer-id": "cust-eu" },
    });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("generateText over chat completions", async () => {
    const r = await generateText({ model: gateway.chat("gpt-4o"), prompt: "hi", maxRetries: 0 });
    expect(r.text).toBe("Hello from eu");
    expect(r.usage.totalTokens).toBe(15);
    expect(r.response.headers?.["x-litellm-model-region"]).toBe("eu");
    expect(h.upstreams.eu.requests[0].url).toBe("/v1/chat/completions");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("streamText yields the chunks in order", async () => {
    const r = streamText({ model: gateway.chat("gpt-4o"), prompt: "hi", maxRetries: 0 });
    const parts: string[] = [];
    for await (const t of r.textStream) parts.push(t);
    expect(parts.join("")).toBe("Hello from eu part 1 part 2");
    expect(await r.finishReason).toBe("stop");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("embed", async () => {
    const r = await embed({ model: gateway.textEmbeddingModel("embed"), value: "hi", maxRetries: 0 });
    expect(r.embedding).toEqual([0.1, 0.2, 0.3]);
  });

  it("a residency refusal is an APICallError with our status and code", async () => {
    const err = await generateText({ model: gateway.chat("us-only"), prompt: "hi", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(err)).toBe(true);
    const e = err as APICallError;
    expect(e.statusCode).toBe(403);
    expect(e.isRetryable).toBe(false);
    expect(JSON.parse(e.responseBody ?? "{}").error.code).toBe("no_deployment_in_region");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("a stream cut mid-way reports an error part carrying our code", async () => {
    h.upstreams.eu.next({ cutAfterChunks: 2, chunkIntervalMs: 30 });
    const errors: unknown[] = [];
    const r = streamText({
      model: gateway.chat("gpt-4o"),
      prompt: "hi",
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    let text = "";
    for await (const t of r.textStream) text += t;
    expect(text).toBe("Hello from eu");
    expect(JSON.stringify(errors)).toContain("upstream_connection_error");
  });
});
