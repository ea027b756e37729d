import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, chat, type Fleet, startFleet } from "../../test/fleet.js";
import { post } from "../../test/harness.js";
import { dropSchema, freePort, PrivateRedis, TEST_PG_URL, uniqueName, waitFor } from "../../test/testkit.js";
import { DEAF_BOUND_MS } from "../kv/bus.js";

/**
 * Redis stops answering without closing its connections (SIGSTOP on a private redis-server: what
 * CLIENT PAUSE or a stalled failover looks like to a client). Instances A and B share Postgres.
 */
describe("a hung Redis (paused, connections left open)", () => {
  const schema = uniqueName("hungredis");
  let redis: PrivateRedis;
  let f: Fleet;
  let A: string;
  let B: string;

  beforeAll(async () => {
    redis = await new PrivateRedis(await freePort()).start();
    f = await startFleet({ count: 2, databaseUrl: `${TEST_PG_URL}?schema=${schema}`, redisUrl: redis.url });
    [A, B] = f.urls;
  });
  afterAll(async () => {
    redis?.resume();
    await f?.close();
    await redis?.stop();
    await dropSchema(schema);
  });

  const region = async (url: string, user: string) => {
    const r = await post(`${url}/chat/completions`, chat(user), ADMIN);
    return r.status === 200 ? r.headers.get("x-litellm-model-region") : `refused ${r.status}`;
  };

  it("an admin change says it could not be confirmed, and B obeys it within the bound", async () => {
    expect(
      (await post(`${A}/end_user/new`, { user_id: "hr-move", allowed_model_region: "us" }, ADMIN)).status,
    ).toBe(200);
    // B has the customer cached (as us) before the stall
    for (const url of [A, B]) expect(await region(url, "hr-move")).toBe("us");

    redis.pause();
    const tUpdate = Date.now();
    const u = await post(`${A}/end_user/update`, { user_id: "hr-move", allowed_model_region: "eu" }, ADMIN);
    const answeredAfter = Date.now() - tUpdate;
    expect(u.status).toBe(503);
    expect(u.json.error).toMatchObject({
      code: "invalidation_unconfirmed",
      type: "service_unavailable_error",
    });
    expect(u.json.error.message).toContain("IS stored");
    expect(u.headers.get("retry-after")).toBe("1");
    // A forgot its own entry at once
    expect(await region(A, "hr-move")).toBe("eu");

    // B during the stall: bounded loop, each request classified by when it was sent
    f.eu.reset();
    f.us.reset();
    const late: string[] = [];
    let usEarly = 0;
    let firstEu: number | undefined;
    const stop = tUpdate + DEAF_BOUND_MS + 1_500;
    for (let i = 0; i < 200 && Date.now() < stop; i++) {
      const sent = Date.now();
      const usBefore = f.us.hits;
      const got = await region(B, "hr-move");
      if (got === "eu") firstEu ??= sent - tUpdate;
      if (sent - tUpdate > DEAF_BOUND_MS) late.push(got ?? "none");
      else if (f.us.hits > usBefore) usEarly++;
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(
      `hung redis: admin answered 503 after ${answeredAfter} ms; B served us ${usEarly} times, then eu from ${firstEu} ms after the update (bound ${DEAF_BOUND_MS} ms)`,
    );
    expect(late.length).toBeGreaterThan(0);
    // after the bound, never the old region (eu, or a refusal, but not us)
    expect(late.filter((g) => g === "us")).toEqual([]);
    expect(late).toContain("eu");

    redis.resume();
    // once B hears Redis again it trusts its cache again, and normal changes apply at once
    await waitFor(
      "B to hear Redis again",
      () => (f.servers[1].bus as { listening?: boolean }).listening === true,
      5_000,
    );
    const back = await post(
      `${A}/end_user/update`,
      { user_id: "hr-move", allowed_model_region: "us" },
      ADMIN,
    );
    expect(back.status).toBe(200);
    expect(await region(B, "hr-move")).toBe("us");
  });
});
