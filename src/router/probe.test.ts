import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { dep, routerConfig } from "../../test/router-fixtures.js";
import { chat, deployment, hits, pinnedHarness, resetAll, until } from "../../test/router-gateway.js";
import { policyOf, restriction } from "./filters.js";
import { Router } from "./router.js";
import { LocalRouterState } from "./state.js";

const EU = policyOf([restriction("customer", "c", "eu")], "c");

/** Issue item 6, second half: a cooldown storm must not lock pinned customers out for cooldown_time. */
describe("half-open probes when every in-region deployment cools", () => {
  let h: Harness;
  const state = new LocalRouterState();
  beforeAll(async () => {
    h = await pinnedHarness(
      `
model_list:${deployment("m", "m-eu", "eu", "eu")}${deployment("m", "m-eu2", "eu2", "eu")}${deployment("m", "m-us", "us", "us")}
router_settings:
  num_retries: 1
  allowed_fails: 1
  cooldown_time: 30
  retry_after: 0
general_settings:
  master_key: sk-1234
`,
      undefined,
      state,
    );
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  const cooling = () => ["m-eu", "m-eu2"].filter((id) => state.cooldownUntil(id, Date.now()) > 0).sort();

  it("the issue's burst: both EU deployments fail once and cool; pinned traffic is served again as soon as one is healthy, never from the US", async () => {
    h.upstreams.eu.next({ status: 500 });
    h.upstreams.eu2.next({ status: 500 });
    expect((await chat(h, "m", "cust-eu")).status).toBe(500);
    expect(cooling()).toEqual(["m-eu", "m-eu2"]);
    expect(state.cooldownReason("m-eu", Date.now())).toBe("failures");

    // Two probes go out (one per cooling deployment) and are held at the upstream; a burst of 148
    // more arrives meanwhile and is refused without any upstream being asked.
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    h.upstreams.eu.next({ gate });
    h.upstreams.eu2.next({ gate });
    const probes = [chat(h, "m", "cust-eu"), chat(h, "m", "cust-eu")];
    await until(() => h.upstreams.eu.hits === 2 && h.upstreams.eu2.hits === 2);
    const burst = await Promise.all(Array.from({ length: 148 }, () => chat(h, "m", "cust-eu")));
    for (const r of burst) {
      expect(r.status).toBe(429);
      expect(r.json.error.code).toBe("region_capacity_exhausted");
    }
    expect(hits(h)).toEqual({ eu: 2, eu2: 2, us: 0 });
    release();
    for (const r of await Promise.all(probes)) {
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }

    // The probes succeeded: no cooldown left, long before cooldown_time (30 s) is over.
    expect(cooling()).toEqual([]);
    const after = await Promise.all(Array.from({ length: 20 }, () => chat(h, "m", "cust-eu")));
    expect(after.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("a failed probe keeps the deployment cooling, and is not retried out of region", async () => {
    h.upstreams.eu.always = { status: 503 };
    h.upstreams.eu2.always = { status: 503 };
    expect((await chat(h, "m", "cust-eu")).status).toBe(503);
    expect(cooling()).toEqual(["m-eu", "m-eu2"]);
    const probe = await chat(h, "m", "cust-eu");
    expect(probe.status).toBe(503);
    expect(probe.headers.get("x-litellm-attempted-retries")).toBe("0");
    expect(cooling()).toEqual(["m-eu", "m-eu2"]);
    expect(h.upstreams.eu.hits + h.upstreams.eu2.hits).toBe(3);
    expect(h.upstreams.us.hits).toBe(0);
    // A healthy probe ends the cooldown of the one that recovers soonest (the other, re-cooled by
    // the failed probe, stays cooling while a warm one exists).
    h.upstreams.eu.always = {};
    h.upstreams.eu2.always = {};
    expect((await chat(h, "m", "cust-eu")).status).toBe(200);
    expect(cooling()).toHaveLength(1);
    for (const id of cooling()) state.endCooldown(id);
  });

  it("a cooldown the upstream asked for (Retry-After) is waited out: no probe", async () => {
    h.upstreams.eu.next({ status: 429, headers: { "retry-after": "1" } });
    h.upstreams.eu2.next({ status: 429, headers: { "retry-after": "1" } });
    const first = await chat(h, "m", "cust-eu");
    expect(first.status, JSON.stringify([first.json, hits(h), cooling()])).toBe(429);
    expect(state.cooldownReason("m-eu", Date.now())).toBe("upstream");
    const r = await chat(h, "m", "cust-eu");
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("region_capacity_exhausted");
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });
});

describe("Router.claimProbe", () => {
  const build = () => {
    const state = new LocalRouterState();
    const router = new Router(
      { deployments: [dep("a", "eu"), dep("b", "eu"), dep("u", "us")], router: routerConfig() },
      state,
    );
    return { state, router };
  };

  it("claims the in-region deployment whose own-count cooldown ends soonest, one probe each", () => {
    const { state, router } = build();
    const now = Date.now();
    state.startCooldown("a", now + 5_000, "failures");
    state.startCooldown("b", now + 2_000, "failures");
    const none = new Set<string>();
    expect(router.claimProbe("m", EU, now, none)?.id).toBe("b");
    expect(router.claimProbe("m", EU, now, none)?.id).toBe("a");
    expect(router.claimProbe("m", EU, now, none)).toBeUndefined();
    state.endProbe("b");
    expect(router.claimProbe("m", EU, now, none)?.id).toBe("b");
  });

  it("never offers an out-of-region, upstream-cooled or already tried deployment", () => {
    const { state, router } = build();
    const now = Date.now();
    state.startCooldown("a", now + 5_000, "upstream");
    state.startCooldown("b", now + 2_000, "failures");
    state.startCooldown("u", now + 1_000, "failures");
    expect(router.claimProbe("m", EU, now, new Set(["b"]))).toBeUndefined();
    expect(router.claimProbe("m", EU, now, new Set())?.id).toBe("b");
  });

  it("a success ends an own-count cooldown; an upstream one stays, and its reason sticks", () => {
    const state = new LocalRouterState();
    const now = Date.now();
    state.startCooldown("a", now + 5_000, "failures");
    state.endCooldown("a");
    expect(state.cooldownUntil("a", now)).toBe(0);
    state.startCooldown("b", now + 5_000, "upstream");
    state.startCooldown("b", now + 6_000, "failures");
    expect(state.cooldownReason("b", now)).toBe("upstream");
    state.endCooldown("b");
    expect(state.cooldownUntil("b", now)).toBe(now + 6_000);
  });
});
