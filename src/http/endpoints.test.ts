import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { litellmHeaderProblems } from "../../test/litellm-headers.js";

/** Every route alias against a real gateway and fake upstreams; what the client sees and what upstream got. */
const ENDPOINTS_YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
    model_info: { id: gpt4o-eu }
  - model_name: az-chat
    litellm_params:
      model: azure/chat-dep
      api_base: {{us}}/
      api_key: az-us-upstream-secret
      api_version: "2024-06-01"
      region_name: eastus
    model_info: { id: az-chat-us }
  - model_name: embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
  - model_name: instruct
    litellm_params:
      model: text-completion-openai/gpt-3.5-turbo-instruct
      api_base: {{us}}/v1
      api_key: sk-us-upstream-secret
      region_name: us
general_settings:
  master_key: sk-1234
`;

const SECRETS = ["sk-eu-upstream-secret", "az-us-upstream-secret", "sk-us-upstream-secret"];

const BODIES = {
  chat: { messages: [{ role: "user", content: "hi" }] },
  completions: { prompt: "say hi" },
  embeddings: { input: ["a", "b"] },
} as const;
const SUFFIX = { chat: "chat/completions", completions: "completions", embeddings: "embeddings" } as const;
const MODEL = { chat: "gpt-4o", completions: "instruct", embeddings: "embed" } as const;
const UPSTREAM = {
  chat: ["eu", "/v1/chat/completions", "gpt-4o-2024-08-06"],
  completions: ["us", "/v1/completions", "gpt-3.5-turbo-instruct"],
  embeddings: ["eu", "/v1/embeddings", "text-embedding-3-small"],
} as const;

describe("endpoints", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: ENDPOINTS_YAML });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  for (const op of ["chat", "completions", "embeddings"] as const) {
    for (const prefix of ["/", "/v1/"]) {
      it(`POST ${prefix}${SUFFIX[op]} reaches the upstream in OpenAI shape`, async () => {
        const r = await post(`${h.url}${prefix}${SUFFIX[op]}`, { model: MODEL[op], ...BODIES[op] }, h.auth);
        expect(r.status, r.text).toBe(200);
        const [label, path, upstreamModel] = UPSTREAM[op];
        const up = h.upstreams[label];
        expect(up.hits).toBe(1);
        expect(up.requests[0].url).toBe(path);
        expect(up.requests[0].body?.model).toBe(upstreamModel);
        expect(up.requests[0].headers.authorization).toMatch(/^Bearer sk-(eu|us)-upstream-secret$/);
        if (op === "embeddings") expect(r.json.data).toHaveLength(2);
        else expect(r.json.choices[0]).toBeDefined();
        expect(
          litellmHeaderProblems(r.headers, { group: MODEL[op], apiBase: `${up.url}/v1`, region: label }),
        ).toEqual([]);
      });
    }

    it(`POST /openai/deployments/{model}/${SUFFIX[op]} (Azure style) takes the model from the path`, async () => {
      const r = await post(
        `${h.url}/openai/deployments/${MODEL[op]}/${SUFFIX[op]}?api-version=2024-10-21`,
        BODIES[op],
        { "api-key": "sk-1234" },
      );
      expect(r.status, r.text).toBe(200);
      const [label, path, upstreamModel] = UPSTREAM[op];
      expect(h.upstreams[label].requests[0].url).toBe(path);
      expect(h.upstreams[label].requests[0].body?.model).toBe(upstreamModel);
      expect(r.headers.get("x-litellm-model-group")).toBe(MODEL[op]);
    });
  }

  it("the path model wins over a body model on the Azure-style route", async () => {
    const r = await post(
      `${h.url}/openai/deployments/az-chat/chat/completions`,
      { model: "gpt-4o", ...BODIES.chat },
      h.auth,
    );
    expect(r.status).toBe(200);
    expect(h.upstreams.eu.hits).toBe(0);
    expect(h.upstreams.us.requests[0].url).toBe(
      "/openai/deployments/chat-dep/chat/completions?api-version=2024-06-01",
    );
    expect(h.upstreams.us.requests[0].headers["api-key"]).toBe("az-us-upstream-secret");
    // a cloud region is reported as its geography; the raw name rides along
    expect(
      litellmHeaderProblems(r.headers, { group: "az-chat", apiBase: `${h.upstreams.us.url}/`, region: "us" }),
    ).toEqual([]);
    expect(r.headers.get("x-meridian-deployment-region")).toBe("eastus");
  });

  it("each response gets its own call id", async () => {
    const a = await post(`${h.url}/chat/completions`, { model: "gpt-4o", ...BODIES.chat }, h.auth);
    const b = await post(`${h.url}/chat/completions`, { model: "gpt-4o", ...BODIES.chat }, h.auth);
    expect(a.headers.get("x-litellm-call-id")).not.toBe(b.headers.get("x-litellm-call-id"));
    expect(a.headers.get("x-litellm-model-id")).toBe("gpt4o-eu");
  });

  for (const path of ["/models", "/v1/models"]) {
    it(`GET ${path} is an OpenAI model list`, async () => {
      const r = await get(`${h.url}${path}`, h.auth);
      expect(r.status).toBe(200);
      expect(r.json.object).toBe("list");
      expect(r.json.data.map((m: { id: string }) => m.id).sort()).toEqual([
        "az-chat",
        "embed",
        "gpt-4o",
        "instruct",
      ]);
      for (const m of r.json.data) {
        expect(m.object).toBe("model");
        expect(typeof m.created).toBe("number");
        expect(typeof m.owned_by).toBe("string");
      }
    });
  }

  it("GET /v1/models/{id} answers one model, or a 404 model_not_found envelope", async () => {
    const ok = await get(`${h.url}/v1/models/embed`, h.auth);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ id: "embed", object: "model" });
    const nope = await get(`${h.url}/models/gpt-9`, h.auth);
    expect(nope.status).toBe(404);
    expect(nope.json.error).toMatchObject({
      code: "model_not_found",
      param: "model",
      type: "invalid_request_error",
    });
  });

  it("GET /models requires the key", async () => {
    const r = await get(`${h.url}/v1/models`);
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
  });

  it("GET /model/info describes every deployment and never includes an api key", async () => {
    const r = await get(`${h.url}/model/info`, h.auth);
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(4);
    const az = r.json.data.find((m: { model_info: { id: string } }) => m.model_info.id === "az-chat-us");
    expect(az.model_name).toBe("az-chat");
    expect(az.litellm_params.model).toBe("azure/chat-dep");
    expect(az.litellm_params.region_name).toBe("eastus");
    for (const s of SECRETS) expect(r.text).not.toContain(s);
    expect(r.text).not.toContain("api_key");
  });

  it("GET /health/liveliness answers without auth, as LiteLLM does", async () => {
    for (const path of ["/health/liveliness", "/health/liveness"]) {
      const r = await get(`${h.url}${path}`);
      expect(r.status).toBe(200);
      expect(r.json).toBe("I'm alive!");
    }
  });

  it("GET /health/readiness reports the store", async () => {
    const r = await get(`${h.url}/health/readiness`);
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("healthy");
    expect(r.json.db).toBe("connected");
  });

  it("readiness fails when the store is unreachable", async () => {
    const g = await startHarness({ yaml: ENDPOINTS_YAML, upstreams: ["eu", "us"] });
    await g.store.close();
    try {
      const r = await get(`${g.url}/health/readiness`);
      expect(r.status).toBe(503);
      expect(r.json.db).toBe("unreachable");
    } finally {
      await g.built.close();
      for (const u of Object.values(g.upstreams)) await u.stop();
    }
  });

  for (const [method, path] of [
    ["GET", "/v1/nope"],
    ["POST", "/v1/chat/complete"],
  ] as const) {
    it(`unknown route ${method} ${path} is a 404 envelope`, async () => {
      const res = await fetch(`${h.url}${path}?x=1`, { method, headers: h.auth });
      expect(res.status).toBe(404);
      const j = await res.json();
      expect(j.error).toMatchObject({ type: "invalid_request_error", code: "not_found", param: null });
      expect(j.error.message).toContain(path);
      expect(j.error.message).not.toContain("?x=1");
    });
  }

  it("a known route with the wrong method is a 405 envelope with Allow", async () => {
    const res = await fetch(`${h.url}/chat/completions`, { headers: h.auth });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    const j = await res.json();
    expect(j.error).toMatchObject({ code: "method_not_allowed", type: "invalid_request_error", param: null });
    expect(
      (await fetch(`${h.url}/v1/models`, { method: "POST", headers: h.auth })).headers.get("allow"),
    ).toBe("GET");
  });
});
