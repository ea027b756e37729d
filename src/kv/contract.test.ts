import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  deleteKeys,
  freePort,
  PrivateRedis,
  TEST_REDIS_URL,
  uniqueName,
  waitFor,
} from "../../test/testkit.js";
import { silentLogger } from "../observability/logger.js";
import { LocalRouterState, type RouterState } from "../router/state.js";
import { type Bus, LocalBus } from "./bus.js";
import { RedisLink } from "./redis.js";
import { RedisBus } from "./redis-bus.js";
import { SharedRouterState } from "./shared-state.js";

/**
 * One behaviour suite for every kv implementation (in-process and Redis), then the cross-instance
 * behaviour only the shared ones have. Redis keys live under a per-run prefix, deleted afterwards.
 */
const PREFIX = `${uniqueName("kv")}:`;
const opened: Array<{ close(): Promise<void> }> = [];

interface Instance {
  state: RouterState;
  bus: Bus;
  /** Wait until writes are visible to every instance (a flush for Redis; nothing locally). */
  sync(): Promise<void>;
}

async function redisInstance(): Promise<Instance> {
  const link = new RedisLink({ url: TEST_REDIS_URL, logger: silentLogger(), prefix: PREFIX });
  const state = new SharedRouterState(link, { flushIntervalMs: 1_000_000 });
  const bus = new RedisBus(link);
  opened.push({
    async close() {
      await state.close();
      await bus.close();
      await link.close();
    },
  });
  expect(await link.waitReady(3_000)).toBe(true);
  return { state, bus, sync: () => state.flush() };
}

describe("a Redis that refuses writes but still relays pub/sub (out of memory, a read-only replica)", () => {
  it("a bus message reaches the other instance at once and is recorded for replay once Redis takes writes", async () => {
    const server = await new PrivateRedis(await freePort()).start();
    const admin = new Redis(server.url);
    const links: RedisLink[] = [];
    const buses: RedisBus[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const link = new RedisLink({ url: server.url, logger: silentLogger(), prefix: "oom:" });
        links.push(link);
        buses.push(new RedisBus(link, { heartbeatMs: 100, deafAfterMs: 300 }));
        expect(await link.waitReady(3_000)).toBe(true);
      }
      const [a, b] = buses;
      const atB: string[] = [];
      b.subscribe("inv", (m) => atB.push(m));
      await b.settled();
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.config("SET", "maxmemory", "1");
      // the MULTI that records the message is refused (OOM): unconfirmed, yet delivered live
      expect(await a.publish("inv", "cust-moved")).toBe(false);
      await waitFor("the message to reach B", () => atB.includes("cust-moved"), 2_000);
      expect(await admin.zrange("oom:bus:inv:recent", 0, -1)).toEqual([]);
      await admin.config("SET", "maxmemory", "0");
      // the outbox is retried while Redis answers: the message is recorded for instances that were deaf
      await waitFor(
        "the message to be recorded",
        async () => (await admin.zrange("oom:bus:inv:recent", 0, -1)).includes("cust-moved"),
        3_000,
      );
    } finally {
      for (const bus of buses) await bus.close();
      for (const link of links) await link.close();
      admin.disconnect();
      await server.stop();
    }
  });
});

async function localInstance(): Promise<Instance> {
  return { state: new LocalRouterState(), bus: new LocalBus(), sync: async () => {} };
}

afterAll(async () => {
  for (const o of opened) await o.close();
  await deleteKeys(TEST_REDIS_URL, PREFIX);
});

const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000);

for (const [name, make] of [
  ["local", localInstance],
  ["redis", redisInstance],
] as const) {
  describe(`kv contract: ${name}`, () => {
    it("cooldowns: none, start, never shortened, expire", async () => {
      const { state } = await make();
      const now = Date.now();
      expect(state.cooldownUntil("c1", now)).toBe(0);
      state.startCooldown("c1", now + 5_000);
      expect(state.cooldownUntil("c1", now)).toBe(now + 5_000);
      state.startCooldown("c1", now + 1_000);
      expect(state.cooldownUntil("c1", now)).toBe(now + 5_000);
      state.startCooldown("c1", now + 8_000);
      expect(state.cooldownUntil("c1", now)).toBe(now + 8_000);
      expect(state.cooldownUntil("c1", now + 8_000)).toBe(0);
      expect(state.cooldownUntil("other", now)).toBe(0);
    });

    it("counts failures within a sliding minute", async () => {
      const { state } = await make();
      expect(state.recordFailure("f1", T0)).toBe(1);
      expect(state.recordFailure("f1", T0 + 10_000)).toBe(2);
      expect(state.recordFailure("f1", T0 + 59_000)).toBe(3);
      expect(state.recordFailure("f1", T0 + 65_000)).toBe(3);
      expect(state.recordFailure("f2", T0 + 65_000)).toBe(1);
    });

    it("tracks in-flight requests and never goes negative", async () => {
      const { state, sync } = await make();
      expect(state.inflight("i1")).toBe(0);
      state.begin("i1");
      state.begin("i1");
      expect(state.inflight("i1")).toBe(2);
      await sync();
      expect(state.inflight("i1")).toBe(2);
      state.end("i1");
      state.end("i1");
      state.end("i1");
      await sync();
      expect(state.inflight("i1")).toBe(0);
    });

    it("latency: unknown, one sample, then between the extremes", async () => {
      const { state, sync } = await make();
      expect(state.latencyMs("l1")).toBeUndefined();
      state.recordLatency("l1", 100);
      expect(state.latencyMs("l1")).toBe(100);
      state.recordLatency("l1", 300);
      await sync();
      const v = state.latencyMs("l1")!;
      expect(v).toBeGreaterThan(100);
      expect(v).toBeLessThanOrEqual(300);
    });

    it("usage sums within the current minute, without double counting across flushes", async () => {
      await awayFromMinuteEnd(); // a flush reads the shared totals of the clock minute it runs in
      const { state, sync } = await make();
      const now = Date.now();
      expect(state.usage("u1", now)).toEqual({ requests: 0, tokens: 0 });
      state.recordUsage("u1", 1, 10, now);
      state.recordUsage("u1", 2, 5, now);
      expect(state.usage("u1", now)).toEqual({ requests: 3, tokens: 15 });
      await sync();
      expect(state.usage("u1", now)).toEqual({ requests: 3, tokens: 15 });
      state.recordUsage("u1", 1, 1, now);
      expect(state.usage("u1", now)).toEqual({ requests: 4, tokens: 16 });
      await sync();
      await sync();
      expect(state.usage("u1", now)).toEqual({ requests: 4, tokens: 16 });
      expect(state.usage("u1", now + 60_000)).toEqual({ requests: 0, tokens: 0 });
    });

    it("bus: local subscribers get messages at once, per channel, every handler, once", async () => {
      const { bus } = await make();
      const got: string[] = [];
      bus.subscribe("ch-a", (m) => got.push(`a1:${m}`));
      bus.subscribe("ch-a", (m) => got.push(`a2:${m}`));
      bus.subscribe("ch-b", (m) => got.push(`b:${m}`));
      bus.publish("ch-a", "x");
      expect(got).toEqual(["a1:x", "a2:x"]);
      bus.publish("ch-b", "y\nwith newline");
      expect(got).toEqual(["a1:x", "a2:x", "b:y\nwith newline"]);
      bus.publish("ch-none", "z");
      // nothing arrives later either (e.g. Redis echoing our own message back)
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toHaveLength(3);
    });
  });
}

describe("kv shared: two instances on one Redis", () => {
  it("a cooldown's reason travels with it; a successful probe on A ends B's cooldown and the key", async () => {
    const a = await redisInstance();
    const b = await redisInstance();
    a.state.startCooldown("dep-probe", Date.now() + 5_000, "failures");
    a.state.startCooldown("dep-ra", Date.now() + 5_000, "upstream");
    await waitFor("B to see both", () => b.state.cooldownUntil("dep-ra", Date.now()) > 0, 2_000);
    await waitFor("B to see dep-probe", () => b.state.cooldownUntil("dep-probe", Date.now()) > 0, 2_000);
    expect(b.state.cooldownReason("dep-probe", Date.now())).toBe("failures");
    expect(b.state.cooldownReason("dep-ra", Date.now())).toBe("upstream");
    a.state.endCooldown("dep-probe");
    a.state.endCooldown("dep-ra"); // the upstream asked for this one: it stays everywhere
    expect(a.state.cooldownUntil("dep-probe", Date.now())).toBe(0);
    await waitFor("B to end it", () => b.state.cooldownUntil("dep-probe", Date.now()) === 0, 2_000);
    expect(b.state.cooldownUntil("dep-ra", Date.now())).toBeGreaterThan(0);
    const probe = new Redis(TEST_REDIS_URL);
    try {
      expect(await probe.exists(`${PREFIX}deployment:dep-probe:cooldown`)).toBe(0);
      expect(await probe.exists(`${PREFIX}deployment:dep-ra:cooldown`)).toBe(1);
    } finally {
      probe.disconnect();
    }
  });

  it("a cooldown started on A is seen by B at once, and stored under LiteLLM's key with a TTL", async () => {
    const a = await redisInstance();
    const b = await redisInstance();
    const started = Date.now();
    a.state.startCooldown("dep-x", started + 3_000);
    await waitFor("B to see the cooldown", () => b.state.cooldownUntil("dep-x", Date.now()) > 0, 2_000);
    const until = b.state.cooldownUntil("dep-x", Date.now());
    expect(until).toBeGreaterThan(started + 2_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3_000);
    const probe = new Redis(TEST_REDIS_URL);
    try {
      const ttl = await probe.pttl(`${PREFIX}deployment:dep-x:cooldown`);
      expect(ttl).toBeGreaterThan(1_000);
      expect(ttl).toBeLessThanOrEqual(3_000);
    } finally {
      probe.disconnect();
    }
  });

  it("an instance starting later learns existing cooldowns from Redis", async () => {
    const a = await redisInstance();
    a.state.startCooldown("dep-late", Date.now() + 4_000);
    await new Promise((r) => setTimeout(r, 50));
    const link = new RedisLink({ url: TEST_REDIS_URL, logger: silentLogger(), prefix: PREFIX });
    const c = new SharedRouterState(link, { deploymentIds: ["dep-late"] });
    opened.push({
      async close() {
        await c.close();
        await link.close();
      },
    });
    await waitFor(
      "the late instance to load the cooldown",
      () => c.cooldownUntil("dep-late", Date.now()) > 0,
    );
    expect(c.cooldownUntil("dep-other", Date.now())).toBe(0);
  });

  it("rpm/tpm usage, in-flight counts and latency add up over instances", async () => {
    await awayFromMinuteEnd(); // a flush reads the shared totals of the clock minute it runs in
    const a = await redisInstance();
    const b = await redisInstance();
    const now = Date.now();
    a.state.recordUsage("dep-u", 3, 30, now);
    b.state.recordUsage("dep-u", 2, 20, now);
    a.state.begin("dep-u");
    a.state.begin("dep-u");
    b.state.begin("dep-u");
    a.state.recordLatency("dep-u", 100);
    a.state.recordLatency("dep-u", 200);
    await a.sync();
    await b.sync();
    await a.sync();
    for (const s of [a.state, b.state]) {
      expect(s.usage("dep-u", now)).toEqual({ requests: 5, tokens: 50 });
      expect(s.inflight("dep-u")).toBe(3);
      expect(s.latencyMs("dep-u")).toBe(150);
    }
    a.state.end("dep-u");
    a.state.end("dep-u");
    await a.sync();
    await b.sync();
    expect(b.state.inflight("dep-u")).toBe(1);
    expect(a.state.inflight("dep-u")).toBe(1);
  });

  it("bus messages reach the other instance exactly once, not the sender twice", async () => {
    const a = await redisInstance();
    const b = await redisInstance();
    const atA: string[] = [];
    const atB: string[] = [];
    a.bus.subscribe("inv", (m) => atA.push(m));
    b.bus.subscribe("inv", (m) => atB.push(m));
    await (b.bus as RedisBus).settled();
    await (a.bus as RedisBus).settled();
    a.bus.publish("inv", "cust-1");
    b.bus.publish("inv", "cust-2");
    await waitFor("both messages to cross", () => atA.length === 2 && atB.length === 2, 2_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(atA.sort()).toEqual(["cust-1", "cust-2"]);
    expect(atB.sort()).toEqual(["cust-1", "cust-2"]);
  });
});

/** Usage is kept per clock minute: start a usage test with at least 5 s of the minute left. */
async function awayFromMinuteEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((r) => setTimeout(r, left + 50));
}
