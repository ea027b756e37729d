import Fastify from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { LocalRouterState } from "../router/state.js";
import { checkAll, mapLimited, registerOpsHealthRoute } from "./ops-health.js";

const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
    model_info: { id: gpt4o-eu }
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-dep
      api_base: {{us}}
      api_key: az-us-upstream-secret-key
      api_version: "2024-06-01"
      region_name: eastus
    model_info: { id: gpt4o-us }
  - model_name: embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: westeurope
    model_info: { id: embed-eu, mode: embedding }
  - model_name: slow
    litellm_params:
      model: openai/slow-model
      api_base: {{ap}}/v1
      api_key: sk-ap-upstream-secret
      timeout: 0.3
    model_info: { id: slow-1 }
  - model_name: canned
    litellm_params:
      model: openai/canned
      mock_response: "hello"
    model_info: { id: canned-1 }
router_settings:
  allowed_fails: 0
general_settings:
  master_key: sk-1234
`;

const SECRETS = ["sk-eu-upstream-secret", "az-us-upstream-secret-key", "sk-ap-upstream-secret", "sk-1234"];

/** Real router state that also tells whether anything was counted against a deployment. */
class CountingState extends LocalRouterState {
  failures = 0;
  cooldowns = 0;
  override recordFailure(id: string, now: number): number {
    this.failures++;
    return super.recordFailure(id, now);
  }
  override startCooldown(id: string, untilMs: number): void {
    this.cooldowns++;
    super.startCooldown(id, untilMs);
  }
}

describe("GET /health (per-deployment checks)", () => {
  let h: Harness;
  const state = new CountingState();
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu", "us", "ap"], routerState: state });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    for (const u of Object.values(h.upstreams)) u.reset();
    h.upstreams.us.always = {
      status: 401,
      errorBody: {
        error: {
          message: "Incorrect API key provided: az-us-upstream-secret-key",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    };
    h.upstreams.ap.always = { hang: true };
  });

  it("is admin only", async () => {
    const r = await get(`${h.url}/health`);
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);
  });

  it("reports each deployment in LiteLLM's shape with its region, never a key", async () => {
    // The filter keys the cache, so this round is fresh whatever ran before.
    const r = await get(`${h.url}/health`, h.auth);
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual([
      "healthy_count",
      "healthy_endpoints",
      "unhealthy_count",
      "unhealthy_endpoints",
    ]);
    expect(r.json.healthy_count).toBe(3);
    expect(r.json.unhealthy_count).toBe(2);
    expect(r.json.healthy_endpoints).toEqual([
      {
        model: "openai/gpt-4o",
        api_base: `${h.upstreams.eu.url}/v1`,
        region_name: "eu",
        model_name: "gpt-4o",
        model_id: "gpt4o-eu",
        region: "eu",
      },
      {
        model: "openai/text-embedding-3-small",
        api_base: `${h.upstreams.eu.url}/v1`,
        region_name: "westeurope",
        model_name: "embed",
        model_id: "embed-eu",
        region: "eu",
      },
      {
        model: "openai/canned",
        mock_response: "hello",
        model_name: "canned",
        model_id: "canned-1",
        region: null,
      },
    ]);
    const [us, slow] = r.json.unhealthy_endpoints;
    expect(us).toEqual({
      model: "azure/gpt-4o-dep",
      api_base: h.upstreams.us.url,
      api_version: "2024-06-01",
      region_name: "eastus",
      model_name: "gpt-4o",
      model_id: "gpt4o-us",
      region: "us",
      error: expect.stringContaining("[redacted]"),
    });
    expect(slow).toMatchObject({
      model_id: "slow-1",
      region: null,
      error: expect.stringMatching(/timeout/i),
    });
    for (const s of SECRETS) expect(r.text).not.toContain(s);
  });

  it("probes cheaply per mode, through the provider's real request building", async () => {
    await get(`${h.url}/health?model=embed`, h.auth);
    await get(`${h.url}/health?model=gpt-4o`, h.auth);
    const eu = h.upstreams.eu.requests.map((q) => [q.url, q.body]);
    expect(eu).toEqual([
      ["/v1/embeddings", { model: "text-embedding-3-small", input: ["ping"] }],
      [
        "/v1/chat/completions",
        { model: "gpt-4o", messages: [{ role: "user", content: "ping" }], max_tokens: 1 },
      ],
    ]);
    expect(h.upstreams.eu.requests[0].headers.authorization).toBe("Bearer sk-eu-upstream-secret");
    // Azure: the deployment URL and api-key header built as for real traffic.
    expect(h.upstreams.us.requests[0].url).toBe(
      "/openai/deployments/gpt-4o-dep/chat/completions?api-version=2024-06-01",
    );
    expect(h.upstreams.us.requests[0].headers["api-key"]).toBe("az-us-upstream-secret-key");
  });

  it("filters by model and model_id, and refuses an unknown one with an envelope", async () => {
    const byId = await get(`${h.url}/health?model_id=gpt4o-eu`, h.auth);
    expect(byId.json.healthy_endpoints.map((e: { model_id: string }) => e.model_id)).toEqual(["gpt4o-eu"]);
    expect(byId.json.unhealthy_count).toBe(0);
    const unknown = await get(`${h.url}/health?model=nope`, h.auth);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual({
      message: "The model 'nope' does not exist",
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
    });
  });

  it("reuses a round for a few seconds: polling does not hammer upstreams", async () => {
    // A filter no other test uses: this round is fresh.
    const first = await get(`${h.url}/health?model_id=embed-eu`, h.auth);
    expect(h.upstreams.eu.hits).toBe(1);
    const again = await get(`${h.url}/health?model_id=embed-eu`, h.auth);
    expect(again.json).toEqual(first.json);
    expect(first.json.healthy_count).toBe(1);
    expect(h.upstreams.eu.hits).toBe(1);
  });

  it("counts nothing against a deployment: a failed check leaves it routable", async () => {
    state.failures = 0;
    state.cooldowns = 0;
    await get(`${h.url}/health?model_id=gpt4o-us`, h.auth);
    expect(h.upstreams.us.hits).toBe(1);
    expect(state.failures).toBe(0);
    expect(state.cooldowns).toBe(0);
    // allowed_fails 0: had the check counted, the us deployment would now be cooling down.
    h.upstreams.us.always = {};
    const r = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
      { ...h.auth, "x-litellm-end-user-id": "anyone" },
    );
    expect(r.status, r.text).toBe(200);
    expect(state.cooldownUntil("gpt4o-us", Date.now())).toBe(0);
  });
});

describe("health check bounds", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu", "us", "ap"] });
    h.upstreams.ap.always = { hang: true };
  });
  afterAll(async () => h.close());

  it("caps a deployment's long timeout at the health ceiling", async () => {
    const gw = h.built.gateway;
    const slow = gw.config.deployments.find((d) => d.id === "slow-1");
    if (!slow) throw new Error("slow-1 missing");
    // The configured 600 s default: the ceiling, not the deployment, ends the check.
    const r = await checkAll(gw, [{ ...slow, timeoutMs: 600_000, streamTimeoutMs: 600_000 }], {
      concurrency: 4,
      timeoutMs: 200,
      cacheMs: 0,
    });
    expect(r.unhealthy_count).toBe(1);
    expect(r.unhealthy_endpoints[0].error).toMatch(/^upstream_timeout: /);
  });

  it("runs a fresh round once the cached one is older than cacheMs", async () => {
    const app = Fastify();
    // cacheMs counts from the start of a round: 1 s outlasts a round plus the second poll, even on a
    // loaded machine (at 100 ms a slow round could leave the second poll a fresh round: 2 calls)
    registerOpsHealthRoute(app, h.built.gateway, { concurrency: 4, timeoutMs: 1_000, cacheMs: 1_000 });
    const eu = h.upstreams.eu;
    const before = eu.hits;
    await app.inject("/health?model_id=gpt4o-eu");
    await app.inject("/health?model_id=gpt4o-eu");
    expect(eu.hits - before).toBe(1);
    await new Promise((r) => setTimeout(r, 1_050));
    const again = await app.inject("/health?model_id=gpt4o-eu");
    expect(again.json().healthy_count).toBe(1);
    expect(eu.hits - before).toBe(2);
    await app.close();
  });
});

describe("mapLimited", () => {
  it("keeps at most `limit` calls in flight and the input order", async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimited([5, 1, 4, 2, 3, 6, 0, 7, 9, 8], 4, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(most).toBe(4);
    expect(out).toEqual([50, 10, 40, 20, 30, 60, 0, 70, 90, 80]);
  });
});
