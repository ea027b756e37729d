import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN, chat, type Fleet, startFleet } from "../../test/fleet.js";
import { get, post } from "../../test/harness.js";
import {
  deleteKeys,
  dropSchema,
  TEST_PG_URL,
  TEST_REDIS_URL,
  uniqueName,
  waitForCooldownInRedis,
} from "../../test/testkit.js";
import { INVALIDATE_CHANNEL } from "../customers/service.js";

/** Two real gateway instances on one Postgres schema and one Redis (the shared services). */
describe("two instances on Postgres + Redis", () => {
  const schema = uniqueName("fleet");
  const prefix = `${schema}:`;
  let f: Fleet;
  let A: string;
  let B: string;

  beforeAll(async () => {
    f = await startFleet({
      count: 2,
      databaseUrl: `${TEST_PG_URL}?schema=${schema}`,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: prefix,
    });
    [A, B] = f.urls;
  });
  afterAll(async () => {
    await f?.close();
    await dropSchema(schema);
    await deleteKeys(TEST_REDIS_URL, prefix);
  });
  beforeEach(() => {
    f.eu.reset();
    f.us.reset();
  });

  it("both report Redis and Postgres ready", async () => {
    for (const url of [A, B]) {
      const r = await get(`${url}/health/readiness`);
      expect(r.status).toBe(200);
      expect(r.json.checks.db).toEqual({ ok: true, detail: "postgres" });
      expect(r.json.checks.redis.ok).toBe(true);
    }
  });

  it("a customer created on A is routed by region on B", async () => {
    const c = await post(`${A}/end_user/new`, { user_id: "fleet-eu", allowed_model_region: "eu" }, ADMIN);
    expect(c.status).toBe(200);
    for (let i = 0; i < 20; i++) {
      const r = await post(`${B}/chat/completions`, chat("fleet-eu"), ADMIN);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(f.eu.hits).toBe(20);
    expect(f.us.hits).toBe(0);
  });

  it("an update on A is obeyed by B on its very next request; propagation is measured", async () => {
    await post(`${A}/end_user/new`, { user_id: "fleet-move", allowed_model_region: "eu" }, ADMIN);
    const seenAt = { a: 0, b: 0 };
    f.servers[0].bus.subscribe(INVALIDATE_CHANNEL, (id) => {
      if (id === "fleet-move") seenAt.a = performance.now();
    });
    f.servers[1].bus.subscribe(INVALIDATE_CHANNEL, (id) => {
      if (id === "fleet-move") seenAt.b = performance.now();
    });
    const delays: number[] = [];
    let region: "eu" | "us" = "eu";
    for (let round = 0; round < 6; round++) {
      // B has the current policy cached...
      const warm = await post(`${B}/chat/completions`, chat("fleet-move"), ADMIN);
      expect(warm.headers.get("x-litellm-model-region")).toBe(region);
      region = region === "eu" ? "us" : "eu";
      seenAt.a = 0;
      seenAt.b = 0;
      // ...A changes it...
      const u = await post(
        `${A}/end_user/update`,
        { user_id: "fleet-move", allowed_model_region: region },
        ADMIN,
      );
      expect(u.status).toBe(200);
      // ...and B's next request already follows the new region.
      const next = await post(`${B}/chat/completions`, chat("fleet-move"), ADMIN);
      expect(next.status).toBe(200);
      expect(next.headers.get("x-litellm-model-region")).toBe(region);
      expect(seenAt.a).toBeGreaterThan(0);
      expect(seenAt.b).toBeGreaterThan(0);
      delays.push(seenAt.b - seenAt.a);
    }
    const sorted = [...delays].sort((x, y) => x - y);
    console.log(
      `invalidation propagation A -> B over Redis: median ${sorted[3].toFixed(2)} ms, max ${sorted[5].toFixed(2)} ms (${delays.map((d) => d.toFixed(2)).join(", ")})`,
    );
    expect(Math.max(...delays)).toBeLessThan(2_000);
  });

  it("blocking on A is obeyed by B", async () => {
    await post(`${A}/end_user/new`, { user_id: "fleet-block", allowed_model_region: "us" }, ADMIN);
    expect((await post(`${B}/chat/completions`, chat("fleet-block"), ADMIN)).status).toBe(200);
    expect((await post(`${A}/customer/block`, { user_ids: ["fleet-block"] }, ADMIN)).status).toBe(200);
    const r = await post(`${B}/chat/completions`, chat("fleet-block"), ADMIN);
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("customer_blocked");
  });

  it("a cooldown triggered through A is seen by B: B does not call the cooled deployment", async () => {
    await post(`${A}/end_user/new`, { user_id: "fleet-cool", allowed_model_region: "eu" }, ADMIN);
    // Unrestricted traffic on A cools the eu deployment (it has the us one to go to; a pinned
    // customer's only in-region deployment is not cooled by its own blip).
    f.eu.next({ status: 429, headers: { "retry-after": "1" } });
    for (let i = 0; i < 40 && f.eu.hits === 0; i++)
      await post(`${A}/chat/completions`, chat("fleet-anyone"), ADMIN);
    expect(f.eu.hits).toBe(1);
    await waitForCooldownInRedis(TEST_REDIS_URL, prefix);
    const usBefore = f.us.hits;
    const r2 = await post(`${B}/chat/completions`, chat("fleet-cool"), ADMIN);
    expect(r2.status).toBe(429);
    expect(r2.json.error.code).toBe("region_capacity_exhausted");
    expect(Number(r2.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(f.eu.hits).toBe(1);
    expect(f.us.hits).toBe(usBefore);
    // unrestricted traffic on B avoids the cooled eu deployment too
    for (let i = 0; i < 10; i++) {
      const r = await post(`${B}/chat/completions`, chat("fleet-anyone"), ADMIN);
      expect(r.headers.get("x-litellm-model-region")).toBe("us");
    }
    expect(f.eu.hits).toBe(1);
  });
});
