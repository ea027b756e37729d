import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, chat, type Fleet, startFleet } from "../../test/fleet.js";
import { get, post } from "../../test/harness.js";
import {
  dropSchema,
  freePort,
  PgProxy,
  PrivateRedis,
  TEST_PG_URL,
  uniqueName,
  waitFor,
} from "../../test/testkit.js";
import { INVALIDATE_CHANNEL } from "../customers/service.js";

/** Captures log lines so a test can count them and check nothing secret is written. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

const PASSWORD = "s3cret-redis-pw";

describe("Redis goes away (a private redis-server, killed and restarted)", () => {
  const schema = uniqueName("redisdown");
  const log = capturingLogger();
  let redis: PrivateRedis;
  let f: Fleet;
  let A: string;
  let B: string;

  beforeAll(async () => {
    redis = await new PrivateRedis(await freePort(), PASSWORD).start();
    f = await startFleet({
      count: 2,
      databaseUrl: `${TEST_PG_URL}?schema=${schema}`,
      redisUrl: redis.url,
      logger: log.logger,
    });
    [A, B] = f.urls;
  });
  afterAll(async () => {
    await f?.close();
    await redis?.stop();
    await dropSchema(schema);
  });

  it("keeps serving in region, reports Redis down, logs once, and catches up when it is back", async () => {
    await post(`${A}/end_user/new`, { user_id: "rd-eu", allowed_model_region: "eu" }, ADMIN);
    await post(`${A}/end_user/new`, { user_id: "rd-move", allowed_model_region: "eu" }, ADMIN);
    for (const url of [A, B]) {
      expect((await get(`${url}/health/readiness`)).json.checks.redis.ok).toBe(true);
      expect((await post(`${url}/chat/completions`, chat("rd-move"), ADMIN)).status).toBe(200);
    }

    await redis.stop();
    await waitFor("readiness to report redis down", async () => {
      const r = await get(`${B}/health/readiness`);
      return r.json.checks.redis.ok === false;
    });
    // several reconnect attempts happen meanwhile
    await new Promise((r) => setTimeout(r, 700));

    for (const url of [A, B]) {
      const ready = await get(`${url}/health/readiness`);
      expect(ready.status).toBe(200); // degraded, still serving
      expect(ready.json.checks.redis.ok).toBe(false);
      expect(ready.json.checks.redis.detail).toContain("unreachable");
      expect(ready.text).not.toContain(PASSWORD);
    }
    f.eu.reset();
    f.us.reset();
    for (let i = 0; i < 20; i++) {
      const r = await post(`${i % 2 ? A : B}/chat/completions`, chat("rd-eu"), ADMIN);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(f.us.hits).toBe(0);
    // B caches rd-move's policy during the outage...
    expect(
      (await post(`${B}/chat/completions`, chat("rd-move"), ADMIN)).headers.get("x-litellm-model-region"),
    ).toBe("eu");
    // ...admin writes are stored (they need the store, not Redis) and A obeys at once, but the
    // admin hears that the other instances could not be told
    const u = await post(`${A}/end_user/update`, { user_id: "rd-move", allowed_model_region: "us" }, ADMIN);
    expect(u.status).toBe(503);
    expect(u.json.error.code).toBe("invalidation_unconfirmed");
    expect(u.json.error.message).toContain("IS stored");
    expect(
      (await post(`${A}/chat/completions`, chat("rd-move"), ADMIN)).headers.get("x-litellm-model-region"),
    ).toBe("us");

    // B cannot hear of A's change without Redis, but while degraded it caches for 1 s only and
    // re-reads the store: the change applies within about a second, not the 300 s cache TTL.
    const t0 = Date.now();
    await waitFor(
      "B to apply the update made during the outage",
      async () =>
        (await post(`${B}/chat/completions`, chat("rd-move"), ADMIN)).headers.get(
          "x-litellm-model-region",
        ) === "us",
      5_000,
    );
    console.log(`update on A applied by B during a Redis outage after ${Date.now() - t0} ms`);

    const outages = log.lines.filter((l) => l.includes("redis unreachable"));
    expect(outages).toHaveLength(2); // once per instance, not once per retry
    expect(log.lines.join("")).not.toContain(PASSWORD);

    const delivered: string[] = [];
    f.servers[1].bus.subscribe(INVALIDATE_CHANNEL, (id) => delivered.push(id));
    await redis.start();
    await waitFor(
      "both instances to reconnect",
      async () => {
        for (const url of [A, B])
          if ((await get(`${url}/health/readiness`)).json.checks.redis.ok !== true) return false;
        return true;
      },
      10_000,
    );
    // after the outage the missed invalidation still arrives (A's outbox, or B's replay from Redis)
    await waitFor("the missed invalidation to reach B", () => delivered.includes("rd-move"));
    for (const url of [A, B])
      expect(
        (await post(`${url}/chat/completions`, chat("rd-move"), ADMIN)).headers.get("x-litellm-model-region"),
      ).toBe("us");
    expect(log.lines.filter((l) => l.includes("redis reconnected"))).toHaveLength(2);
  });
});

describe("Postgres becomes unreachable (a TCP proxy in front of it, cut and restored)", () => {
  const schema = uniqueName("pgdown");
  let proxy: PgProxy;
  let f: Fleet;
  let A: string;

  beforeAll(async () => {
    proxy = await new PgProxy().start();
    const u = new URL(TEST_PG_URL);
    u.host = `127.0.0.1:${proxy.port}`;
    f = await startFleet({ count: 1, databaseUrl: `${u.toString()}?schema=${schema}` });
    [A] = f.urls;
  });
  afterAll(async () => {
    await f?.close();
    await proxy?.cut();
    await dropSchema(schema);
  });

  it("fails closed while down (503, never unrestricted) and recovers by itself", async () => {
    expect(
      (await post(`${A}/end_user/new`, { user_id: "pg-cached", allowed_model_region: "eu" }, ADMIN)).status,
    ).toBe(200);
    await post(`${A}/end_user/new`, { user_id: "pg-uncached", allowed_model_region: "eu" }, ADMIN);
    expect((await post(`${A}/chat/completions`, chat("pg-cached"), ADMIN)).status).toBe(200);

    await proxy.cut();
    f.eu.reset();
    f.us.reset();

    const unknown = await post(`${A}/chat/completions`, chat("pg-uncached"), ADMIN);
    expect(unknown.status).toBe(503);
    expect(unknown.json.error).toMatchObject({
      code: "policy_unavailable",
      type: "service_unavailable_error",
    });
    expect(unknown.headers.get("retry-after")).toBe("1");
    expect(f.eu.hits + f.us.hits).toBe(0);

    const cached = await post(`${A}/chat/completions`, chat("pg-cached"), ADMIN);
    expect(cached.status).toBe(200);
    expect(cached.headers.get("x-litellm-model-region")).toBe("eu");

    for (const [path, body] of [
      ["/end_user/new", { user_id: "pg-new", allowed_model_region: "us" }],
      ["/end_user/update", { user_id: "pg-cached", allowed_model_region: "us" }],
      ["/end_user/delete", { user_ids: ["pg-cached"] }],
    ] as const) {
      const w = await post(`${A}${path}`, body, ADMIN);
      expect(w.status).toBe(503);
      expect(w.json.error.code).toBe("store_unavailable");
    }
    const ready = await get(`${A}/health/readiness`);
    expect(ready.status).toBe(503);
    expect(ready.json.checks.db.ok).toBe(false);
    // the cached policy was not changed by the failed update
    expect(
      (await post(`${A}/chat/completions`, chat("pg-cached"), ADMIN)).headers.get("x-litellm-model-region"),
    ).toBe("eu");

    await proxy.restore();
    await waitFor(
      "readiness to recover",
      async () => (await get(`${A}/health/readiness`)).status === 200,
      10_000,
    );
    const back = await post(`${A}/chat/completions`, chat("pg-uncached"), ADMIN);
    expect(back.status).toBe(200);
    expect(back.headers.get("x-litellm-model-region")).toBe("eu");
    expect(
      (await post(`${A}/end_user/new`, { user_id: "pg-new", allowed_model_region: "us" }, ADMIN)).status,
    ).toBe(200);
    expect(
      (await post(`${A}/chat/completions`, chat("pg-new"), ADMIN)).headers.get("x-litellm-model-region"),
    ).toBe("us");
  });
});

describe("Redis unreachable from the start (a dead port)", () => {
  it("starts anyway, serves in region, and says so in readiness", async () => {
    const schema = uniqueName("redisdead");
    const log = capturingLogger();
    const port = await freePort();
    const f = await startFleet({
      count: 1,
      databaseUrl: `${TEST_PG_URL}?schema=${schema}`,
      redisUrl: `redis://:${PASSWORD}@127.0.0.1:${port}`,
      logger: log.logger,
    });
    try {
      const [A] = f.urls;
      await post(`${A}/end_user/new`, { user_id: "dead-us", allowed_model_region: "us" }, ADMIN);
      for (let i = 0; i < 10; i++) {
        const r = await post(`${A}/chat/completions`, chat("dead-us"), ADMIN);
        expect(r.status).toBe(200);
        expect(r.headers.get("x-litellm-model-region")).toBe("us");
      }
      expect(f.eu.hits).toBe(0);
      const ready = await get(`${A}/health/readiness`);
      expect(ready.status).toBe(200);
      expect(ready.json.checks.redis).toMatchObject({ ok: false });
      expect(ready.json.checks.redis.detail).toContain(`127.0.0.1:${port}`);
      expect(ready.text).not.toContain(PASSWORD);
      expect(log.lines.filter((l) => l.includes("redis unreachable"))).toHaveLength(1);
      expect(log.lines.join("")).not.toContain(PASSWORD);
    } finally {
      await f.close();
      await dropSchema(schema);
    }
  });
});
