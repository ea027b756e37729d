import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, startHarness } from "../../test/harness.js";
import { supportedParams } from "./model-group-info.js";

/** The ops endpoints LiteLLM's own e2e tests call, checked field by field against a real gateway. */
const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
      rpm: 100
      tpm: 1000
    model_info:
      id: gpt4o-eu
      max_input_tokens: 128000
      max_output_tokens: 16384
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
      access_groups: [beta-models]
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-dep
      api_base: {{us}}
      api_key: az-us-upstream-secret
      region_name: eastus
      rpm: 50
      tpm: 500
    model_info:
      id: gpt4o-us
      max_input_tokens: 64000
      input_cost_per_token: 0.000003
      output_cost_per_token: 0.000012
  - model_name: embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
    model_info: { id: embed-1, mode: embedding, access_groups: [beta-models, internal] }
router_settings:
  model_group_alias: { gpt4: gpt-4o }
general_settings:
  master_key: sk-1234
`;
const SECRETS = ["sk-eu-upstream-secret", "az-us-upstream-secret"];

describe("ops endpoints: models", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
  });
  afterAll(async () => h.close());

  it("GET /model_group/info: LiteLLM's ModelGroupInfo per group, with regions", async () => {
    const r = await get(`${h.url}/model_group/info`, h.auth);
    expect(r.status, r.text).toBe(200);
    expect(r.json.data).toEqual([
      {
        model_group: "gpt-4o",
        providers: ["openai", "azure"],
        max_input_tokens: 64000,
        max_output_tokens: 16384,
        input_cost_per_token: 0.000003,
        output_cost_per_token: 0.000012,
        mode: "chat",
        tpm: 1500,
        rpm: 150,
        supports_parallel_function_calling: true,
        supports_vision: false,
        supports_function_calling: true,
        supported_openai_params: supportedParams("chat"),
        regions: ["eu", "us"],
        unassigned_deployments: 0,
        deployment_ids: ["gpt4o-eu", "gpt4o-us"],
      },
      {
        model_group: "embed",
        providers: ["openai"],
        max_input_tokens: null,
        max_output_tokens: null,
        input_cost_per_token: null,
        output_cost_per_token: null,
        mode: "embedding",
        tpm: null,
        rpm: null,
        supports_parallel_function_calling: false,
        supports_vision: false,
        supports_function_calling: false,
        supported_openai_params: ["user", "encoding_format", "dimensions"],
        regions: [],
        unassigned_deployments: 1,
        deployment_ids: ["embed-1"],
      },
    ]);
    expect(supportedParams("chat")).toEqual(expect.arrayContaining(["max_tokens", "tools", "stream"]));
    for (const s of SECRETS) expect(r.text).not.toContain(s);
  });

  it("GET /model_group/info?model_group= narrows to one group (aliases resolve)", async () => {
    const r = await get(`${h.url}/model_group/info?model_group=gpt4`, h.auth);
    expect(r.json.data.map((g: { model_group: string }) => g.model_group)).toEqual(["gpt-4o"]);
    const none = await get(`${h.url}/model_group/info?model_group=nope`, h.auth);
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe("model_not_found");
    expect(none.json.error.param).toBe("model_group");
  });

  it("GET /model/info?litellm_model_id= answers exactly that entry of /model/info", async () => {
    const all = await get(`${h.url}/model/info`, h.auth);
    expect(all.json.data).toHaveLength(3);
    for (const entry of all.json.data) {
      const one = await get(`${h.url}/model/info?litellm_model_id=${entry.model_info.id}`, h.auth);
      expect(one.status).toBe(200);
      expect(one.json.data).toEqual([entry]);
    }
    const unknown = await get(`${h.url}/v1/model/info?litellm_model_id=missing`, h.auth);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual({
      message: "Model id = missing not found on the gateway",
      type: "invalid_request_error",
      param: "litellm_model_id",
      code: "model_not_found",
    });
  });

  it("GET /v2/model/info: v1 entries with model_info filled in, regions included", async () => {
    const r = await get(`${h.url}/v2/model/info`, h.auth);
    expect(r.status).toBe(200);
    expect(r.json.total_count).toBe(3);
    const [eu] = r.json.data;
    expect(eu.model_name).toBe("gpt-4o");
    expect(eu.litellm_params).toEqual({
      model: "openai/gpt-4o",
      api_base: `${h.upstreams.eu.url}/v1`,
      api_version: null,
      region_name: "eu",
      rpm: 100,
      tpm: 1000,
      order: null,
    });
    expect(eu.model_info).toEqual({
      id: "gpt4o-eu",
      mode: "chat",
      provider: "openai",
      geography: "eu",
      region_source: "region_name",
      evidence: "region_name: eu, as declared in config",
      input_cost_per_token: 0.0000025,
      output_cost_per_token: 0.00001,
      litellm_provider: "openai",
      max_tokens: 16384,
      max_input_tokens: 128000,
      max_output_tokens: 16384,
      supported_openai_params: supportedParams("chat"),
      access_groups: ["beta-models"],
      region: "eu",
      region_name: "eu",
      db_model: false,
    });
    const byModel = await get(`${h.url}/v2/model/info?model=gpt4`, h.auth);
    expect(byModel.json.data.map((e: { model_info: { id: string } }) => e.model_info.id)).toEqual([
      "gpt4o-eu",
      "gpt4o-us",
    ]);
    const byId = await get(`${h.url}/v2/model/info?litellm_model_id=embed-1`, h.auth);
    expect(byId.json.data).toEqual([r.json.data[2]]);
    for (const s of SECRETS) expect(r.text).not.toContain(s);
  });

  it("GET /models?only_model_access_groups=True lists the access groups, not the models", async () => {
    const models = await get(`${h.url}/v1/models`, h.auth);
    expect(models.json.data.map((m: { id: string }) => m.id)).toEqual(["gpt-4o", "embed", "gpt4"]);
    const groups = await get(`${h.url}/models?only_model_access_groups=True`, h.auth);
    expect(groups.status).toBe(200);
    expect(groups.json.object).toBe("list");
    expect(groups.json.data.map((m: { id: string; object: string }) => [m.id, m.object])).toEqual([
      ["beta-models", "model"],
      ["internal", "model"],
    ]);
    const off = await get(`${h.url}/models?only_model_access_groups=false`, h.auth);
    expect(off.json).toEqual(models.json);
  });

  it("GET /routes: FastAPI-style table of every route", async () => {
    const r = await get(`${h.url}/routes`, h.auth);
    expect(r.status).toBe(200);
    const byPath = new Map(
      r.json.routes.map((x: { path: string; methods: string[]; name: string; endpoint: string }) => [
        x.path,
        x,
      ]),
    );
    expect(byPath.get("/v1/chat/completions")).toEqual({
      path: "/v1/chat/completions",
      methods: ["POST"],
      name: "v1_chat_completions",
      endpoint: "v1_chat_completions",
    });
    expect(byPath.get("/health")).toEqual({
      path: "/health",
      methods: ["GET", "HEAD"],
      name: "health",
      endpoint: "health",
    });
    for (const p of [
      "/model_group/info",
      "/v2/model/info",
      "/routes",
      "/customer/new",
      "/openai/deployments/:model/chat/completions",
    ])
      expect(byPath.has(p), p).toBe(true);
    expect(new Set(byPath.keys()).size).toBe(r.json.routes.length);
    // LiteLLM's e2e test calls it without a key.
    const anon = await get(`${h.url}/routes`);
    expect(anon.status).toBe(200);
    expect(anon.json).toEqual(r.json);
  });

  it("GET /health/readiness keeps Meridian's checks and adds LiteLLM's fields", async () => {
    const r = await get(`${h.url}/health/readiness`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      status: "healthy",
      db: "connected",
      cache: null,
      success_callbacks: [],
      checks: { db: { ok: true, detail: "sqlite" } },
      deployments: 3,
    });
    expect(typeof r.json.litellm_version).toBe("string");
    // LiteLLM's authenticated twin carries the same report.
    expect((await get(`${h.url}/health/readiness/details`)).status).toBe(401);
    const details = await get(`${h.url}/health/readiness/details`, h.auth);
    expect(details.status).toBe(200);
    expect(details.json).toEqual(r.json);
  });
});
