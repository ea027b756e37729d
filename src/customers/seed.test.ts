import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";

/** The seed document, step by step, against a real gateway and fake eu/us upstreams. */
describe("seed: region-based routing", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("creates the customer with the seed's body (comments and trailing comma included)", async () => {
    const body = `{
"user_id" : "ishaan-jaff-45",
"allowed_model_region": "eu", # 👈 SPECIFY ALLOWED REGION='eu'
}`;
    const r = await post(`${h.url}/end_user/new`, body, h.auth);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      user_id: "ishaan-jaff-45",
      allowed_model_region: "eu",
      blocked: false,
      spend: 0,
    });
    expect(r.headers.get("x-meridian-warning")).toContain("not strict JSON");
  });

  it("routes the customer's chat to the EU deployment and says so in the headers", async () => {
    for (let i = 0; i < 200; i++) {
      const r = await post(
        `${h.url}/chat/completions`,
        {
          model: "gpt-3.5-turbo",
          messages: [{ role: "user", content: "what is the meaning of the universe? 1234" }],
          user: "ishaan-jaff-45",
        },
        h.auth,
      );
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
      expect(r.headers.get("x-litellm-api-base")).toBe(h.upstreams.eu.url);
      expect(r.headers.get("x-litellm-model-api-base")).toBe(h.upstreams.eu.url);
      expect(r.json.choices[0].message.content).toBe("Hello from eu");
    }
    expect(h.upstreams.eu.hits).toBe(200);
    expect(h.upstreams.us.hits).toBe(0);
    // Azure wire shape, exactly
    const seen = h.upstreams.eu.requests[0];
    expect(seen.url).toBe("/openai/deployments/gpt-35-turbo/chat/completions?api-version=2024-10-21");
    expect(seen.headers["api-key"]).toBe("azure-eu-secret");
    expect(seen.headers.authorization).toBeUndefined();
  });

  it("unrestricted requests spread over both regions", async () => {
    for (let i = 0; i < 100; i++) {
      const r = await post(
        `${h.url}/chat/completions`,
        { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] },
        h.auth,
      );
      expect(r.status).toBe(200);
    }
    expect(h.upstreams.eu.hits).toBeGreaterThan(20);
    expect(h.upstreams.us.hits).toBeGreaterThan(20);
    expect(
      h.upstreams.us.requests.some(
        (r) => r.url === "/openai/deployments/chatgpt-v-2/chat/completions?api-version=2023-05-15",
      ),
    ).toBe(true);
  });

  it("a model with no EU deployment is a 403 for the EU customer and reaches no upstream", async () => {
    const r = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-4o-us-only", messages: [{ role: "user", content: "hi" }], user: "ishaan-jaff-45" },
      h.auth,
    );
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("no_deployment_in_region");
    expect(r.json.error.type).toBe("permission_error");
    expect(r.json.error.message).toContain('"gpt-4o-us-only"');
    expect(r.json.error.message).toContain('"eu"');
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);
  });

  it("embeddings and streaming are filtered too", async () => {
    for (let i = 0; i < 20; i++) {
      const e = await post(
        `${h.url}/v1/embeddings`,
        { model: "text-embedding-3-small", input: "hello", user: "ishaan-jaff-45" },
        h.auth,
      );
      expect(e.status).toBe(200);
      expect(e.headers.get("x-litellm-model-region")).toBe("eu");
      expect(e.headers.get("x-meridian-deployment-region")).toBe("westeurope");
      const s = await post(
        `${h.url}/v1/chat/completions`,
        {
          model: "gpt-3.5-turbo",
          stream: true,
          messages: [{ role: "user", content: "hi" }],
          user: "ishaan-jaff-45",
        },
        h.auth,
      );
      expect(s.status).toBe(200);
      expect(s.headers.get("x-litellm-model-region")).toBe("eu");
      expect(s.text).toContain("Hello from eu");
      expect(s.text.trim().endsWith("data: [DONE]")).toBe(true);
    }
    expect(h.upstreams.us.hits).toBe(0);
    expect(h.upstreams.eu.hits).toBe(40);
  });

  it("an update to the region is obeyed by the very next request", async () => {
    const u = await post(
      `${h.url}/end_user/update`,
      { user_id: "ishaan-jaff-45", allowed_model_region: "us" },
      h.auth,
    );
    expect(u.status).toBe(200);
    const r = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }], user: "ishaan-jaff-45" },
      h.auth,
    );
    expect(r.headers.get("x-litellm-model-region")).toBe("us");
    expect(h.upstreams.eu.hits).toBe(0);
    const back = await post(
      `${h.url}/end_user/update`,
      { user_id: "ishaan-jaff-45", allowed_model_region: "eu" },
      h.auth,
    );
    expect(back.json.allowed_model_region).toBe("eu");
    const info = await get(`${h.url}/end_user/info?end_user_id=ishaan-jaff-45`, h.auth);
    expect(info.json.allowed_model_region).toBe("eu");
  });
});
