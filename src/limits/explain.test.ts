import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { bearer, CHAT_COST, CHAT_MESSAGES, LIMITS_YAML } from "../../test/limits-config.js";

/**
 * POST /route/explain as a virtual key: the limits stage's model lists and budgets, the key's and
 * team's regions, and unknown keys — each compared with what the real request then gets.
 */

describe("POST /route/explain as a key", () => {
  let h: Harness;
  const hits = () => h.upstreams.eu.hits + h.upstreams.us.hits;
  const gen = async (body: Record<string, unknown>) => {
    const r = await post(`${h.url}/key/generate`, body, h.auth);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.key as string;
  };
  const explain = async (key: string, model = "gpt-3.5-turbo", extra: Record<string, unknown> = {}) => {
    const r = await post(
      `${h.url}/route/explain`,
      { body: { model, messages: CHAT_MESSAGES }, key, ...extra },
      h.auth,
    );
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json;
  };
  const chat = (key: string, model = "gpt-3.5-turbo") =>
    post(`${h.url}/chat/completions`, { model, messages: CHAT_MESSAGES }, bearer(key));

  beforeAll(async () => {
    h = await startHarness({ yaml: LIMITS_YAML });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("a model outside the key's list: explain refuses as the request is refused, and picks nothing", async () => {
    const key = await gen({ models: ["gpt-4o-mini"] });
    const denied = await explain(key);
    expect(denied.limits.models).toEqual({ key_models: ["gpt-4o-mini"], team_models: null, allowed: false });
    expect(denied.refusal).toMatchObject({ code: "key_model_access_denied", param: "model" });
    expect(denied.pick).toBeNull();
    const allowed = await explain(key, "gpt-4o-mini");
    expect(allowed.refusal).toBeNull();
    expect(allowed.pick).toMatchObject({ model_group: "gpt-4o-mini", geography: "eu" });
    expect(hits()).toBe(0); // a dry run calls no upstream
    const real = await chat(key);
    expect(real.status).toBe(403);
    expect(real.json.error.code).toBe(denied.refusal.code);
  });

  it("a spent budget: explain says which scope, by the key or by its hash, as the request then gets 429", async () => {
    const key = await gen({ max_budget: CHAT_COST / 2, key_alias: "explain-budget" });
    const token = createHash("sha256").update(key).digest("hex");
    const before = await explain(key);
    expect(before.refusal).toBeNull();
    expect(before.limits.budgets).toEqual([
      { scope: "api_key", id: token, spend: 0, max_budget: CHAT_COST / 2, exceeded: false },
    ]);
    expect((await chat(key)).status).toBe(200);
    for (const as of [key, token]) {
      const after = await explain(as);
      expect(after.key).toMatchObject({ kind: "virtual", token, key_alias: "explain-budget" });
      expect(after.limits.budgets[0]).toMatchObject({ exceeded: true });
      expect(after.limits.budgets[0].spend).toBeCloseTo(CHAT_COST, 9);
      expect(after.refusal).toMatchObject({ type: "budget_exceeded" });
      expect(after.pick).toBeNull();
    }
    const real = await chat(key);
    expect(real.status).toBe(429);
    expect(real.json.error.type).toBe("budget_exceeded");
  });

  it("a key's region joins the policy, and the pick obeys it; a request sent as the key goes there", async () => {
    const key = await gen({ allowed_model_region: "us" });
    const e = await explain(key, "gpt-3.5-turbo", { headers: { authorization: "Bearer ignored" } });
    expect(e.policy.allowed).toEqual(["us"]);
    expect(e.policy.sources).toEqual([expect.objectContaining({ source: "key", allowed: ["us"] })]);
    expect(e.pick.geography).toBe("us");
    const real = await chat(key);
    expect(real.status).toBe(200);
    expect(real.headers.get("x-litellm-model-region")).toBe("us");
  });

  it("the key in the headers, as the client would send it; unknown and blocked keys get their refusal", async () => {
    const key = await gen({ models: ["gpt-4o-mini"] });
    const viaHeader = await post(
      `${h.url}/route/explain`,
      {
        body: { model: "gpt-3.5-turbo", messages: CHAT_MESSAGES },
        headers: { authorization: `Bearer ${key}` },
      },
      h.auth,
    );
    expect(viaHeader.json.refusal?.code).toBe("key_model_access_denied");
    const unknown = await explain("sk-not-a-key");
    expect(unknown.refusal).toMatchObject({ code: "invalid_api_key" });
    await post(`${h.url}/key/block`, { key }, h.auth);
    const blocked = await explain(key);
    expect(blocked.refusal?.code).toBe("key_blocked");
    expect((await chat(key)).json.error.code).toBe("key_blocked");
  });

  it("a bad key field is a 400 naming it", async () => {
    const r = await post(`${h.url}/route/explain`, { body: { model: "x" }, key: 42 }, h.auth);
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe("key");
  });
  it("rate limits: explain shows the minute's use and, at the limit, the 429 the request then gets; it counts nothing", async () => {
    // the counts are per minute: start clear of a minute's end
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 5_000) await new Promise((r) => setTimeout(r, left + 50));
    const key = await gen({ rpm_limit: 2, tpm_limit: 1_000_000, key_alias: "explain-rpm" });
    const first = await explain(key);
    expect(first.refusal).toBeNull();
    expect(first.limits.rates).toEqual([
      expect.objectContaining({ scope: "api_key", rpm: { limit: 2, used: 0 }, exceeded: null }),
    ]);
    // explaining again counts nothing
    expect((await explain(key)).limits.rates[0].rpm.used).toBe(0);
    for (let i = 0; i < 2; i++) expect((await chat(key)).status).toBe(200);
    const full = await explain(key);
    expect(full.limits.rates[0]).toMatchObject({ rpm: { limit: 2, used: 2 }, exceeded: "requests" });
    expect(full.refusal).toMatchObject({ code: "rate_limit_exceeded" });
    expect(full.pick).toBeNull();
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
    const real = await chat(key);
    expect(real.status).toBe(429);
    expect(real.json.error.code).toBe(full.refusal.code);
    expect(hits()).toBe(0);
  });
});
