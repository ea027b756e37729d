import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, hits, pinnedHarness, resetAll } from "../../test/router-gateway.js";

/** Strategies, aliases, wildcards and mock deployments through the real gateway. */
describe("simple-shuffle, aliases, wildcards, mock_response", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("w", "w-eu", "eu", "eu", { weight: 1 })}${deployment("w", "w-eu2", "eu2", "eu", { weight: 3 })}${deployment("w", "w-us", "us", "us", { weight: 100 })}${deployment("ord", "o1", "eu", "eu", { order: 1 })}${deployment("ord", "o2", "eu2", "eu", { order: 2 })}
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
      api_base: {{eu}}/v1
      region_name: eu
    model_info:
      id: wild-eu
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
      api_base: {{us}}/v1
      region_name: us
    model_info:
      id: wild-us
  - model_name: demo
    litellm_params:
      model: openai/demo
      mock_response: "canned answer"
      region_name: eu
    model_info:
      id: demo-eu
router_settings:
  model_group_alias: {"gpt-4": "w", "fast": {"model": "ord", "hidden": true}}
  cooldown_time: 1
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  it("weights split the EU customer's traffic among EU deployments only", async () => {
    const n = 400;
    for (let i = 0; i < n; i++) expect((await chat(h, "w", "cust-eu")).status).toBe(200);
    expect(h.upstreams.us.hits).toBe(0);
    const share = h.upstreams.eu2.hits / n; // expected 0.75; bounds are > 5 standard deviations wide
    expect(share).toBeGreaterThan(0.64);
    expect(share).toBeLessThan(0.86);
  });

  it("order: the lower order serves; the higher one only while the lower is cooling", async () => {
    for (let i = 0; i < 20; i++)
      expect((await chat(h, "ord", "cust-eu")).headers.get("x-litellm-model-id")).toBe("o1");
    h.upstreams.eu.next({ status: 503 });
    const r = await chat(h, "ord", "cust-eu");
    expect(r.headers.get("x-litellm-model-id")).toBe("o2");
    for (let i = 0; i < 5; i++)
      expect((await chat(h, "ord", "cust-eu")).headers.get("x-litellm-model-id")).toBe("o2");
    await new Promise((r) => setTimeout(r, 1050));
    expect((await chat(h, "ord", "cust-eu")).headers.get("x-litellm-model-id")).toBe("o1");
  });

  it("model_group_alias resolves to the real group, region filter included", async () => {
    const r = await chat(h, "gpt-4", "cust-us");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("w");
    expect(r.headers.get("x-litellm-model-region")).toBe("us");
    const hidden = await chat(h, "fast", "cust-eu");
    expect(hidden.headers.get("x-litellm-model-id")).toBe("o1");
  });

  it("a wildcard group sends the client's model name upstream, in the customer's region", async () => {
    const r = await chat(h, "openai/gpt-4o-mini", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("wild-eu");
    expect(h.upstreams.eu.requests[0].body?.model).toBe("gpt-4o-mini");
    const us = await chat(h, "openai/o3", "cust-us");
    expect(us.headers.get("x-litellm-model-region")).toBe("us");
    expect(h.upstreams.us.requests[0].body?.model).toBe("o3");
    expect(h.upstreams.eu.hits).toBe(1);
    const bad = await chat(h, "anthropic/claude", "cust-eu");
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("invalid_model");
  });

  it("a mock_response deployment answers without any upstream call", async () => {
    const r = await chat(h, "demo", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("canned answer");
    expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    const s = await chat(h, "demo", "cust-eu", { stream: true });
    expect(s.text).toContain("canned answer");
    expect(s.text.trim().endsWith("data: [DONE]")).toBe(true);
    const us = await chat(h, "demo", "cust-us");
    expect(us.status).toBe(403);
    expect(us.json.error.code).toBe("no_deployment_in_region");
    expect(hits(h)).toEqual({ eu: 0, eu2: 0, us: 0 });
  });
});

describe("usage-based-routing-v2", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("u", "u-eu", "eu", "eu", { rpm: 3 })}${deployment("u", "u-eu2", "eu2", "eu", { rpm: 2 })}${deployment("u", "u-us", "us", "us", { rpm: 1000 })}
router_settings:
  routing_strategy: usage-based-routing-v2
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());

  it("skips deployments at their rpm and answers 429 with Retry-After when all in region are", async () => {
    await awayFromMinuteEdge();
    for (let i = 0; i < 5; i++) expect((await chat(h, "u", "cust-eu")).status).toBe(200);
    expect(hits(h)).toEqual({ eu: 3, eu2: 2, us: 0 });
    const r = await chat(h, "u", "cust-eu");
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("region_capacity_exhausted");
    expect(r.json.error.message).toContain("rpm/tpm limit");
    const ra = Number(r.headers.get("retry-after"));
    expect(ra).toBeGreaterThanOrEqual(1);
    expect(ra).toBeLessThanOrEqual(60);
    expect(h.upstreams.us.hits).toBe(0);
    expect((await chat(h, "u", "cust-us")).status).toBe(200);
  });

  it("counts streamed and failed attempts against rpm too", async () => {
    const h2 = await pinnedHarness(`
model_list:${deployment("u", "u-eu", "eu", "eu", { rpm: 2 })}${deployment("u", "u-us", "us", "us")}
router_settings:
  routing_strategy: usage-based-routing-v2
  num_retries: 0
general_settings:
  master_key: sk-1234
`);
    try {
      await awayFromMinuteEdge();
      h2.upstreams.eu.next({ status: 400 });
      expect((await chat(h2, "u", "cust-eu")).status).toBe(400);
      expect((await chat(h2, "u", "cust-eu", { stream: true })).status).toBe(200);
      const r = await chat(h2, "u", "cust-eu");
      expect(r.json.error.code).toBe("region_capacity_exhausted");
      expect(h2.upstreams.eu.hits).toBe(2);
    } finally {
      await h2.close();
    }
  });
});

/** rpm windows are clock minutes: start a usage test with enough of the current minute left. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((r) => setTimeout(r, left + 50));
}
