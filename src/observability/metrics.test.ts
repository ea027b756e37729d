import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { MAX_SERIES_PER_METRIC } from "./metrics.js";
import { OVERFLOW } from "./series.js";

/**
 * LiteLLM's metric names and labels as its Prometheus docs list them (docs/proxy/prometheus, read
 * late 2026), with `_total` on counters as Python's prometheus_client exposes them. Written out here
 * rather than imported, so a change to litellm-labels.ts that drifts from the docs fails.
 */
const CALLER = "end_user hashed_api_key api_key_alias team team_alias user";
const KEY = "hashed_api_key api_key_alias team team_alias";
const DEPLOY = "litellm_model_name model_id api_base api_provider";
const FROM_DOCS: Record<string, string> = {
  litellm_proxy_total_requests_metric_total: `${CALLER} requested_model status_code`,
  litellm_proxy_failed_requests_metric_total: `${CALLER} requested_model exception_status exception_class`,
  litellm_requests_metric_total: `${CALLER} model`,
  litellm_request_total_latency_metric: `${CALLER} requested_model model`,
  litellm_overhead_latency_metric: `${CALLER} requested_model model`,
  litellm_llm_api_latency_metric: `model ${KEY} requested_model end_user user`,
  litellm_deployment_success_responses_total: `requested_model ${DEPLOY} ${KEY}`,
  litellm_deployment_failure_responses_total: `requested_model ${DEPLOY} ${KEY} exception_status exception_class`,
  litellm_deployment_total_requests_total: `requested_model ${DEPLOY} ${KEY}`,
  litellm_deployment_state: DEPLOY,
  litellm_remaining_requests_metric:
    "model_group api_provider api_base litellm_model_name hashed_api_key api_key_alias",
  litellm_remaining_tokens_metric:
    "model_group api_provider api_base litellm_model_name hashed_api_key api_key_alias",
  litellm_total_tokens_metric_total: `${CALLER} requested_model model`,
  litellm_input_tokens_metric_total: `${CALLER} requested_model model`,
  litellm_output_tokens_metric_total: `${CALLER} requested_model model`,
  litellm_spend_metric_total: `${CALLER} model`,
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

const YAML = `
model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-35-turbo
      api_base: {{eu}}
      api_key: eu-secret
      region_name: eu
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/chatgpt-v-2
      api_base: {{us}}
      api_key: us-secret
      region_name: us
  - model_name: gpt-4o-us-only
    litellm_params:
      model: openai/gpt-4o
      api_base: {{us}}/v1
      api_key: sk-us-upstream
      region_name: us
router_settings:
  num_retries: 0
  allowed_fails: 0
  cooldown_time: 30
general_settings:
  master_key: sk-1234
`;

describe("/metrics: LiteLLM names and labels, per-geography series", () => {
  let h: Harness;
  const scrape = async () => parse((await get(`${h.url}/metrics`, h.auth)).text);
  const chat = (user?: string, model = "gpt-3.5-turbo") =>
    post(`${h.url}/chat/completions`, { model, messages: [{ role: "user", content: "hi" }], user }, h.auth);

  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, metrics: true });
    expect(
      (await post(`${h.url}/end_user/new`, { user_id: "eu-cust", allowed_model_region: "eu" }, h.auth))
        .status,
    ).toBe(200);
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("counts a request served in the EU under its geography, and the US deployment it kept out", async () => {
    const before = await scrape();
    const served = (xs: Sample[], geo: string) =>
      xs.find(
        (s) =>
          s.name === "meridian_requests_served_by_geography_total" &&
          s.labels.model_group === "gpt-3.5-turbo" &&
          s.labels.geography === geo,
      )?.value ?? 0;
    const prevented = (xs: Sample[]) =>
      xs.find(
        (s) => s.name === "meridian_cross_region_attempts_prevented_total" && s.labels.geography === "us",
      )?.value ?? 0;
    for (let i = 0; i < 3; i++) expect((await chat("eu-cust")).status).toBe(200);
    const after = await scrape();
    expect(served(after, "eu") - served(before, "eu")).toBe(3);
    expect(served(after, "us") - served(before, "us")).toBe(0);
    expect(prevented(after) - prevented(before)).toBe(3);
  });

  it("counts region refusals by reason", async () => {
    const r = await chat("eu-cust", "gpt-4o-us-only");
    expect(r.status).toBe(403);
    const s = (await scrape()).find(
      (x) => x.name === "meridian_region_refusals_total" && x.labels.reason === "no_deployment_in_region",
    );
    expect(s?.labels.model_group).toBe("gpt-4o-us-only");
    expect(s?.value).toBeGreaterThanOrEqual(1);
  });

  it("labels a 429 from the EU deployment with that deployment, as its headers do, and marks it in outage", async () => {
    h.upstreams.eu.next({ status: 429 });
    const r = await chat("eu-cust");
    expect(r.status).toBe(429);
    const id = r.headers.get("x-litellm-model-id");
    expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    const samples = await scrape();
    const row = samples.find((s) => s.name === "meridian_requests_total" && s.labels.status === "429");
    expect(row?.labels).toMatchObject({ deployment: id, region: "eu" });
    const fail = samples.find(
      (s) => s.name === "litellm_deployment_failure_responses_total" && s.labels.model_id === id,
    );
    expect(fail?.labels.exception_status).toBe("429");
    const state = (xs: Sample[], d: string | null) =>
      xs.find((s) => s.name === "litellm_deployment_state" && s.labels.model_id === d)?.value;
    // its only in-region deployment is not cooled (nowhere else to go): a partial outage
    expect(state(samples, id)).toBe(1);
    expect((await chat("eu-cust")).status).toBe(200);
    expect(state(await scrape(), id)).toBe(0);
    // unrestricted, the group has two deployments: the one that answered 429 cools (complete outage)
    h.upstreams.eu.next({ status: 429 });
    h.upstreams.us.next({ status: 429 });
    const u = await chat();
    expect(u.status).toBe(429);
    expect(state(await scrape(), u.headers.get("x-litellm-model-id"))).toBe(2);
  });

  it("keeps label sets bounded: unknown models and end users add no series", async () => {
    const count = async () => (await scrape()).filter((s) => /^(litellm|meridian)_/.test(s.name)).length;
    await chat(undefined, "warm-up-unknown");
    const before = await count();
    for (let i = 0; i < 60; i++) {
      await chat(`someone-${i}`, `no-such-model-${i}`);
    }
    expect(await count()).toBe(before);
  });
  it("exposes every LiteLLM metric with exactly the labels its docs list", async () => {
    h.upstreams.eu.next({
      headers: { "x-ratelimit-remaining-requests": "99", "x-ratelimit-remaining-tokens": "5000" },
    });
    expect((await chat("eu-cust")).status).toBe(200);
    expect((await chat("eu-cust", "no-such-model")).status).toBe(400);
    const samples = await scrape();
    for (const [name, labels] of Object.entries(FROM_DOCS)) {
      const s = samples.find((x) => x.name === name || x.name === `${name}_sum`);
      expect(s, `${name} is exposed`).toBeDefined();
      expect(
        Object.keys(s?.labels ?? {})
          .filter((k) => k !== "le")
          .sort(),
        name,
      ).toEqual(labels.split(" ").sort());
    }
    const remaining = samples.find((s) => s.name === "litellm_remaining_requests_metric");
    expect(remaining?.value).toBe(99);
    expect(remaining?.labels.api_base).toBe(h.upstreams.eu.url);
  });

  it("the Grafana dashboard in examples/ queries only series /metrics exposes", async () => {
    const dash = readFileSync(
      new URL("../../examples/grafana/meridian-dashboard.json", import.meta.url),
      "utf8",
    );
    const used = new Set(
      [...dash.matchAll(/\b((?:litellm|meridian)_\w+)(?=[{[)])/g)].map((m) => m[1] as string),
    );
    const exposed = new Set((await scrape()).map((s) => s.name));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exposed.has(name), name).toBe(true);
  });
});

describe("Series cap", () => {
  it("counts label sets past the cap under one overflow series", async () => {
    const { Counter, Registry } = await import("prom-client");
    const { Series } = await import("./series.js");
    const registry = new Registry();
    const c = new Counter({ name: "t_total", help: "t", labelNames: ["k"], registers: [registry] });
    const s = new Series(c, 1, 3);
    for (let i = 0; i < 10; i++) s.of([`v${i}`]).inc();
    expect(s.size).toBe(4);
    const text = await registry.metrics();
    expect(text).toContain(`t_total{k="${OVERFLOW}"} 7`);
    expect(MAX_SERIES_PER_METRIC).toBeGreaterThan(100);
  });
});
