import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";

const chat = (h: Harness, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  post(
    `${h.url}/chat/completions`,
    { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }], ...body },
    { ...h.auth, ...headers },
  );

/** test_router_region_pre_call_check, as behaviour: customer eu / none / us. */
describe("region pre-call check", () => {
  let h: Harness;
  beforeAll(async () => {
    // Without enable_pre_call_checks: residency must not depend on the flag.
    h = await startHarness({
      yaml: SEED_YAML.replace("enable_pre_call_checks: true", "enable_pre_call_checks: false"),
      env: SEED_ENV,
    });
    await post(`${h.url}/end_user/new`, { user_id: "eu-cust", allowed_model_region: "eu" }, h.auth);
    await post(`${h.url}/end_user/new`, { user_id: "us-cust", allowed_model_region: "us" }, h.auth);
    await post(`${h.url}/end_user/new`, { user_id: "free-cust" }, h.auth);
  });
  afterAll(async () => h.close());
  afterEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it.each([
    ["eu-cust", "eu"],
    ["us-cust", "us"],
  ])("%s is served only in %s, identified by every mechanism", async (id, region) => {
    const ways: Array<[Record<string, unknown>, Record<string, string>]> = [
      [{ user: id }, {}],
      [{}, { "x-litellm-customer-id": id }],
      [{}, { "x-litellm-end-user-id": id }],
      [{ litellm_metadata: { user: id } }, {}],
      [{ metadata: { user_id: id } }, {}],
    ];
    for (let i = 0; i < 10; i++) {
      for (const [body, headers] of ways) {
        const r = await chat(h, body, headers);
        expect(r.status).toBe(200);
        expect(r.headers.get("x-litellm-model-region")).toBe(region);
      }
    }
    const other = region === "eu" ? h.upstreams.us : h.upstreams.eu;
    expect(other.hits).toBe(0);
    // metadata never reaches the upstream
    for (const req of [...h.upstreams.eu.requests, ...h.upstreams.us.requests]) {
      expect(req.body?.metadata).toBeUndefined();
      expect(req.body?.litellm_metadata).toBeUndefined();
    }
  });

  it("a customer without a region uses every deployment", async () => {
    for (let i = 0; i < 60; i++) expect((await chat(h, { user: "free-cust" })).status).toBe(200);
    expect(h.upstreams.eu.hits).toBeGreaterThan(5);
    expect(h.upstreams.us.hits).toBeGreaterThan(5);
  });

  it("a header id beats a body user (a pinned header cannot be escaped by the body)", async () => {
    for (let i = 0; i < 20; i++) {
      const r = await chat(h, { user: "free-cust" }, { "x-litellm-end-user-id": "eu-cust" });
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("completions and embeddings are filtered the same way", async () => {
    for (let i = 0; i < 20; i++) {
      const e = await post(
        `${h.url}/embeddings`,
        { model: "text-embedding-3-small", input: ["a", "b"], user: "us-cust" },
        h.auth,
      );
      expect(e.status).toBe(200);
      expect(e.headers.get("x-litellm-model-region")).toBe("us");
      const c = await post(
        `${h.url}/completions`,
        { model: "gpt-3.5-turbo", prompt: "hi", user: "eu-cust" },
        h.auth,
      );
      expect(c.status).toBe(200);
      expect(c.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(h.upstreams.eu.requests.filter((r) => r.url.includes("embeddings"))).toHaveLength(0);
    expect(h.upstreams.us.requests.filter((r) => r.url.includes("completions"))).toHaveLength(0);
  });
});

describe("end_user_policy for unknown end users", () => {
  const withPolicy = (extra: string) =>
    SEED_YAML.replace(
      "general_settings:\n  master_key: sk-1234",
      `general_settings:\n  master_key: sk-1234\n${extra}`,
    );
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("open (default): unknown end users are unrestricted", async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
    expect((await chat(h, { model: "gpt-4o-us-only", user: "stranger" })).status).toBe(200);
  });

  it("default_region: unknown and anonymous end users get the default region", async () => {
    h = await startHarness({
      yaml: withPolicy("  end_user_policy: default_region\n  default_end_user_region: eu"),
      env: SEED_ENV,
    });
    const r = await chat(h, { model: "gpt-4o-us-only", user: "stranger" });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("no_deployment_in_region");
    const anon = await chat(h, {});
    expect(anon.headers.get("x-litellm-model-region")).toBe("eu");
    await post(`${h.url}/end_user/new`, { user_id: "known-us", allowed_model_region: "us" }, h.auth);
    expect((await chat(h, { model: "gpt-4o-us-only", user: "known-us" })).status).toBe(200);
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(2);
  });

  it("reject: unknown and anonymous end users are refused before any upstream call", async () => {
    h = await startHarness({ yaml: withPolicy("  end_user_policy: reject"), env: SEED_ENV });
    const r = await chat(h, { user: "stranger" });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("end_user_required");
    expect((await chat(h, {})).status).toBe(403);
    await post(`${h.url}/end_user/new`, { user_id: "stranger" }, h.auth);
    expect((await chat(h, { user: "stranger" })).status).toBe(200);
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(1);
  });
});

describe("store failure and restarts", () => {
  it("a cached customer keeps its policy; an uncached one gets 503 policy_unavailable, never unrestricted", async () => {
    const h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
    try {
      await post(`${h.url}/end_user/new`, { user_id: "warm", allowed_model_region: "eu" }, h.auth);
      await post(`${h.url}/end_user/new`, { user_id: "cold", allowed_model_region: "eu" }, h.auth);
      expect((await chat(h, { user: "warm" })).status).toBe(200);
      // The store goes away underneath the running gateway (a real failure of the real store).
      await h.store.close();
      const warm = await chat(h, { user: "warm" });
      expect(warm.status).toBe(200);
      expect(warm.headers.get("x-litellm-model-region")).toBe("eu");
      const cold = await chat(h, { model: "gpt-4o-us-only", user: "cold" });
      expect(cold.status).toBe(503);
      expect(cold.json.error.code).toBe("policy_unavailable");
      expect(cold.headers.get("retry-after")).toBe("1");
      const write = await post(`${h.url}/end_user/new`, { user_id: "new-one" }, h.auth);
      expect(write.status).toBe(503);
      expect(write.json.error.code).toBe("store_unavailable");
      expect(h.upstreams.us.hits).toBe(0);
    } finally {
      await h.built.close();
      for (const u of Object.values(h.upstreams)) await u.stop();
    }
  });

  it("customers survive a restart on the same SQLite file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meridian-restart-"));
    const databaseUrl = `sqlite:${join(dir, "m.db")}`;
    try {
      const a = await startHarness({ yaml: SEED_YAML, env: SEED_ENV, databaseUrl });
      await post(`${a.url}/end_user/new`, { user_id: "persist", allowed_model_region: "eu" }, a.auth);
      await a.close();
      const b = await startHarness({ yaml: SEED_YAML, env: SEED_ENV, databaseUrl });
      try {
        const r = await chat(b, { model: "gpt-4o-us-only", user: "persist" });
        expect(r.status).toBe(403);
        expect(r.json.error.code).toBe("no_deployment_in_region");
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
