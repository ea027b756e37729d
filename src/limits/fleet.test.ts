import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN, type Fleet, startFleet } from "../../test/fleet.js";
import { get, post } from "../../test/harness.js";
import { bearer, CHAT_COST, LIMITS_YAML } from "../../test/limits-config.js";
import {
  deleteKeys,
  dropSchema,
  TEST_PG_URL,
  TEST_REDIS_URL,
  uniqueName,
  waitFor,
} from "../../test/testkit.js";

const body = { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keys, budgets and limits held by two real instances together (Postgres + Redis). */
describe("virtual keys across two instances on Postgres + Redis", () => {
  const schema = uniqueName("keysfleet");
  const prefix = `${schema}:`;
  let f: Fleet;
  let A: string;
  let B: string;
  const gen = async (b: Record<string, unknown>) => {
    const r = await post(`${A}/key/generate`, b, ADMIN);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.key as string;
  };

  /** What POST /route/explain on `url` says of the key's limits (spend, counts); counts nothing. */
  const limitsOn = async (url: string, key: string) =>
    (await post(`${url}/route/explain`, { body, key }, ADMIN)).json.limits;

  beforeAll(async () => {
    f = await startFleet({
      count: 2,
      databaseUrl: `${TEST_PG_URL}?schema=${schema}`,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: prefix,
      yaml: LIMITS_YAML,
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

  it("a change on A (block, unblock, team models, delete) is obeyed by B on its next request", async () => {
    await post(`${A}/team/new`, { team_id: "fleet-team" }, ADMIN);
    const key = await gen({ team_id: "fleet-team" });
    expect((await post(`${B}/chat/completions`, body, bearer(key))).status).toBe(200); // cached on B now
    expect((await post(`${A}/key/block`, { key }, ADMIN)).status).toBe(200);
    expect((await post(`${B}/chat/completions`, body, bearer(key))).json.error?.code).toBe("key_blocked");
    await post(`${A}/key/unblock`, { key }, ADMIN);
    expect((await post(`${B}/chat/completions`, body, bearer(key))).status).toBe(200);
    await post(`${A}/team/update`, { team_id: "fleet-team", models: ["gpt-4o-mini"] }, ADMIN);
    expect((await post(`${B}/chat/completions`, body, bearer(key))).json.error?.code).toBe(
      "team_model_access_denied",
    );
    await post(`${A}/team/block`, { team_id: "fleet-team" }, ADMIN);
    expect((await post(`${B}/chat/completions`, { ...body, model: "gpt-4o-mini" }, bearer(key))).status).toBe(
      401,
    );
    await post(`${A}/key/delete`, { keys: [key] }, ADMIN);
    const gone = await post(`${B}/chat/completions`, body, bearer(key));
    expect(gone.status).toBe(401);
    expect(gone.json.error.code).toBe("invalid_api_key");
  });

  it("rpm is one limit for the fleet: 4 per minute, whichever instance is asked", async () => {
    await awayFromMinuteEnd(); // the window is the wall-clock minute: all eight requests in one
    const key = await gen({ rpm_limit: 4 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await post(`${i % 2 ? B : A}/chat/completions`, body, bearer(key))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(f.eu.hits + f.us.hits).toBe(4);
    // /route/explain on either instance reads the fleet's count (unless the minute turned meanwhile)
    const explained = await post(`${B}/route/explain`, { body, key }, ADMIN);
    const rpm = explained.json.limits.rates[0].rpm;
    expect(rpm.limit).toBe(4);
    if (rpm.used !== 0) expect(explained.json).toMatchObject({ refusal: { code: "rate_limit_exceeded" } });
    expect([0, 4]).toContain(rpm.used);
  });

  it("max_parallel_requests holds across instances", async () => {
    const key = await gen({ max_parallel_requests: 1 });
    f.eu.always = { delayMs: 1_000 };
    f.us.always = { delayMs: 1_000 };
    const slow = post(`${A}/chat/completions`, body, bearer(key));
    // admitted (its slot taken in Redis) once it is upstream, where it stays for 1 s
    await waitFor("the first request to reach the upstream", () => f.eu.hits + f.us.hits === 1);
    const r = await post(`${B}/chat/completions`, body, bearer(key));
    expect(r.status).toBe(429);
    expect((await slow).status).toBe(200);
    f.eu.always = {};
    f.us.always = {};
    // A gives the slot back in Redis once its answer is written (not awaited): wait until B sees it
    await waitFor(
      "the slot to be given back",
      async () => (await limitsOn(B, key)).rates[0].parallel.in_flight === 0,
    );
    expect((await post(`${B}/chat/completions`, body, bearer(key))).status).toBe(200);
  });

  it("a budget holds across instances: requests spaced over a flush interval stop at max_budget in total", async () => {
    // 3 requests' worth; each instance alone would allow 3 (6 together) if they did not share spend
    const key = await gen({ max_budget: CHAT_COST * 3 - 0.001 });
    let served = 0;
    for (let i = 0; i < 8; i++) {
      const r = await post(`${i % 2 ? B : A}/chat/completions`, body, bearer(key));
      if (r.status === 200) served++;
      else expect(r.json.error.type).toBe("budget_exceeded");
      // the spend reaches the other instance within a sync interval (20 ms here) or so; under load
      // timers run late, so wait (bounded) until the instance asked next knows all of it
      const next = i % 2 ? A : B;
      await waitFor("the other instance to know the spend", async () => {
        const [b] = (await limitsOn(next, key)).budgets;
        return b.spend >= served * CHAT_COST - 1e-9;
      });
    }
    expect(served).toBe(3);
    // in the store after the next batch write (proxy_batch_write_at)
    const spend = async () => (await get(`${B}/key/info?key=${key}`, ADMIN)).json.info.spend as number;
    await waitFor(
      "the spend to reach the store",
      async () => Math.abs((await spend()) - CHAT_COST * 3) < 0.005, // toBeCloseTo's default precision
    );
    expect(await spend()).toBeCloseTo(CHAT_COST * 3);
  });

  it("tpm and a streamed answer count across instances", async () => {
    // The window is the wall-clock minute: start well inside one so that all three requests share it
    if (Date.now() % 60_000 > 50_000) await sleep(60_000 - (Date.now() % 60_000) + 50);
    const key = await gen({ tpm_limit: 20 });
    /** Tokens are counted after the answer, asynchronously: wait (bounded) until the fleet has them. */
    const tokensUsed = async (atLeast: number) => {
      let used = 0;
      for (let i = 0; i < 50 && used < atLeast; i++) {
        const x = await post(`${B}/route/explain`, { body, key }, ADMIN);
        used = x.json.limits.rates[0].tpm.used;
        if (used < atLeast) await sleep(40);
      }
      return used;
    };
    const s = await post(`${A}/chat/completions`, { ...body, stream: true }, bearer(key));
    expect(s.status).toBe(200);
    const afterStream = await tokensUsed(1);
    expect(afterStream).toBeGreaterThan(0);
    expect(afterStream).toBeLessThan(20);
    expect((await post(`${B}/chat/completions`, body, bearer(key))).status).toBe(200); // 15 tokens < 20
    expect(await tokensUsed(20)).toBeGreaterThanOrEqual(20);
    const r = await post(`${A}/chat/completions`, body, bearer(key));
    expect(r.status).toBe(429);
    expect(r.json.error.message).toContain("tokens");
  });
});

/** The rate windows are wall-clock minutes: start a test with at least 10 s of the minute left. */
async function awayFromMinuteEnd(): Promise<void> {
  if (Date.now() % 60_000 > 50_000) await sleep(60_000 - (Date.now() % 60_000) + 50);
}
