import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { deleteKeys, freePort, PrivateRedis, TEST_REDIS_URL, uniqueName } from "../../test/testkit.js";
import { FakeUpstream } from "../demo/fake-upstream.js";

const yaml = (namespace: string, extra = "") => `${SEED_YAML}
litellm_settings:
  cache: true
  cache_params:
    type: redis
    namespace: ${namespace}
    redis_timeout_ms: 1000
${extra}`;

const chat = (content: string, user?: string) => ({
  model: "gpt-3.5-turbo",
  messages: [{ role: "user", content }],
  ...(user ? { user } : {}),
});

async function newCustomer(h: Harness, id: string, region: string) {
  expect(
    (await post(`${h.url}/end_user/new`, { user_id: id, allowed_model_region: region }, h.auth)).status,
  ).toBe(200);
}

describe("response cache in Redis", () => {
  const ns = uniqueName("cache");
  let eu: FakeUpstream;
  let us: FakeUpstream;
  let A: Harness;
  let B: Harness;
  const hits = () => eu.hits + us.hits;

  beforeAll(async () => {
    eu = await new FakeUpstream({ label: "eu" }).start();
    us = await new FakeUpstream({ label: "us" }).start();
    const env = { ...SEED_ENV, REDIS_URL: TEST_REDIS_URL };
    A = await startHarness({ yaml: yaml(ns), env, shared: { eu, us } });
    B = await startHarness({ yaml: yaml(ns), env, shared: { eu, us } });
    for (const h of [A, B]) await newCustomer(h, "r-eu", "eu");
    // until its Redis is connected an instance skips the cache (and rests it a second)
    await waitUntil(async () => [A, B].every((h) => h.built.pipeline.cache?.ready()));
  });
  afterAll(async () => {
    await A?.close();
    await B?.close();
    await eu?.stop();
    await us?.stop();
    await deleteKeys(TEST_REDIS_URL, ns);
  });

  it("is shared by two instances, with the namespace as prefix and a TTL; it stores the answer, not the prompt", async () => {
    const q = `shared-${Math.random()}`;
    const a = await post(`${A.url}/chat/completions`, chat(q, "r-eu"), A.auth);
    expect(a.status).toBe(200);
    const key = a.headers.get("x-litellm-cache-key") as string;
    expect(key.startsWith(`${ns}:`)).toBe(true);
    // the write is in the background: wait until it has landed, then the other instance hits it
    const r0 = new Redis(TEST_REDIS_URL);
    try {
      await waitUntil(async () => (await r0.exists(key)) === 1);
    } finally {
      r0.disconnect();
    }
    const before = hits();
    const b = await post(`${B.url}/chat/completions`, chat(q, "r-eu"), B.auth);
    expect(b.headers.get("x-meridian-cache")).toBe("hit");
    expect(b.text).toBe(a.text);
    expect(hits()).toBe(before);
    const r = new Redis(TEST_REDIS_URL);
    try {
      const ttl = await r.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
      const stored = (await r.get(key)) as string;
      expect(stored).toContain("Hello from eu");
      expect(stored).not.toContain(q);
      expect(JSON.parse(stored).geo).toBe("eu");
    } finally {
      r.disconnect();
    }
  });

  it("an entry that fails to parse is dropped and the request served from upstream", async () => {
    const q = `corrupt-${Math.random()}`;
    const a = await post(`${A.url}/chat/completions`, chat(q, "r-eu"), A.auth);
    const key = a.headers.get("x-litellm-cache-key") as string;
    const r = new Redis(TEST_REDIS_URL);
    try {
      await r.set(key, '{"v":1,"geo":"eu","dep":"x","op":"chat","at":1,"body":"{not json', "PX", 60_000);
      const before = hits();
      const b = await post(`${A.url}/chat/completions`, chat(q, "r-eu"), A.auth);
      expect(b.status).toBe(200);
      expect(b.headers.get("x-meridian-cache")).toBe("miss");
      expect(hits()).toBe(before + 1);
      // dropped, then stored again from the fresh answer
      await waitUntil(async () => ((await r.get(key)) ?? "").includes("Hello from eu"));
    } finally {
      r.disconnect();
    }
  });

  it("an entry written with a geography outside the caller's policy is never served (forged entry)", async () => {
    const q = `forged-${Math.random()}`;
    const a = await post(`${A.url}/chat/completions`, chat(q, "r-eu"), A.auth);
    const key = a.headers.get("x-litellm-cache-key") as string;
    const r = new Redis(TEST_REDIS_URL);
    try {
      const body = JSON.stringify({
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [
          { index: 0, message: { role: "assistant", content: "Hello from us" }, finish_reason: "stop" },
        ],
      });
      await r.set(
        key,
        JSON.stringify({ v: 1, geo: "us", dep: "forged", op: "chat", at: Date.now(), body }),
        "PX",
        60_000,
      );
      const b = await post(`${A.url}/chat/completions`, chat(q, "r-eu"), A.auth);
      expect(b.json.choices[0].message.content).toBe("Hello from eu");
      expect(b.headers.get("x-meridian-cache")).toBe("miss");
    } finally {
      r.disconnect();
    }
  });
});

describe("response cache with its Redis killed mid-run, and a Redis per geography", () => {
  const ns = uniqueName("cachekill");
  let redis: PrivateRedis;
  let euRedis: PrivateRedis;
  let h: Harness;

  beforeAll(async () => {
    redis = await new PrivateRedis(await freePort()).start();
    euRedis = await new PrivateRedis(await freePort()).start();
    h = await startHarness({
      yaml: yaml(
        ns,
        `    host: 127.0.0.1
    port: ${redis.port}
    geographies:
      eu:
        host: 127.0.0.1
        port: ${euRedis.port}
`,
      ),
      env: SEED_ENV,
    });
    await newCustomer(h, "k-eu", "eu");
    await newCustomer(h, "k-us", "us");
    await waitUntil(async () => h.built.pipeline.cache?.ready() === true);
  });
  let killed = false;
  afterAll(async () => {
    await h?.close();
    await euRedis?.resume();
    // PrivateRedis.stop() waits for an exit that a second call would never see
    if (!killed) await redis?.stop();
    await euRedis?.stop();
  });

  const serve = async (q: string, user: string) => {
    const r = await post(`${h.url}/chat/completions`, chat(q, user), h.auth);
    return {
      status: r.status,
      cache: r.headers.get("x-meridian-cache"),
      content: r.json?.choices?.[0]?.message?.content,
      key: r.headers.get("x-litellm-cache-key"),
    };
  };

  it("EU answers are stored in the EU Redis only, US answers in the default one", async () => {
    const q = `geo-${Math.random()}`;
    const e = await serve(q, "k-eu");
    const u = await serve(q, "k-us");
    const inEu = new Redis(euRedis.url);
    const inMain = new Redis(redis.url);
    try {
      await waitUntil(
        async () =>
          (await inEu.exists(e.key as string)) === 1 && (await inMain.exists(u.key as string)) === 1,
      );
      expect(await inMain.exists(e.key as string)).toBe(0);
      expect(await inEu.exists(u.key as string)).toBe(0);
    } finally {
      inEu.disconnect();
      inMain.disconnect();
    }
    expect((await serve(q, "k-eu")).cache).toBe("hit");
  });

  it("killed: every request is still served, in region, without the cache; a warning and a metric", async () => {
    const q = `kill-${Math.random()}`;
    expect((await serve(q, "k-us")).content).toBe("Hello from us");
    await waitUntil(async () => (await serve(q, "k-us")).cache === "hit");
    await redis.stop();
    killed = true;
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await serve(q, i % 2 ? "k-us" : "k-eu"));
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(200);
      expect(r.content).toBe(i % 2 ? "Hello from us" : "Hello from eu");
    }
    // the US entry lived in the killed Redis: no hit for it now
    expect(results.filter((r, i) => i % 2 === 1 && r.cache === "hit")).toEqual([]);
    const metrics = await h.built.pipeline.cache?.metrics.registry.getSingleMetricAsString(
      "meridian_cache_errors_total",
    );
    expect(metrics).toMatch(/meridian_cache_errors_total\{store="redis",op="get"\} [1-9]/);
  });

  // (redis_timeout_ms is 1 s here so that a loaded test machine does not trip it elsewhere)
  it("hung (paused, connections open): each request waits at most the short timeout, then is served", async () => {
    const q = `hung-${Math.random()}`;
    await euRedis.pause();
    const t = performance.now();
    const r = await serve(q, "k-eu");
    const ms = performance.now() - t;
    expect(r.status).toBe(200);
    expect(r.content).toBe("Hello from eu");
    console.log(`hung cache redis: request answered in ${ms.toFixed(0)} ms (redis_timeout_ms 1000)`);
    await euRedis.resume();
  });
});

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 8_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out");
}
