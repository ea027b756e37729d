import { describe, expect, it } from "vitest";
import { dep, routerConfig, seeded, shares } from "../../../test/router-fixtures.js";
import type { RoutingStrategy } from "../../config/normalize.js";
import type { Deployment } from "../deployment.js";
import { UNRESTRICTED } from "../filters.js";
import { Router } from "../router.js";
import { LocalRouterState } from "../state.js";

const N = 20_000;
const NONE = new Set<string>();

function router(deployments: Deployment[], strategy: RoutingStrategy = "simple-shuffle", seed = 7) {
  return new Router(
    { deployments, router: routerConfig({ strategy }) },
    new LocalRouterState(),
    seeded(seed),
  );
}

/** What the attempt loop does for a first attempt: available, then pick. */
function choose(r: Router, now = Date.now(), tokens = 0): string | undefined {
  const av = r.available("m", UNRESTRICTED, now, NONE);
  if (av.kind !== "ok") return av.kind;
  return r.pick(av.candidates, now, tokens)?.id;
}

describe("simple-shuffle", () => {
  it("splits by weight", () => {
    const r = router([dep("a", "eu", { weight: 1 }), dep("b", "eu", { weight: 3 })]);
    const s = shares(N, () => choose(r) as string);
    expect(s.b).toBeGreaterThan(0.73);
    expect(s.b).toBeLessThan(0.77);
  });

  it("uses rpm when no weight is set, and weight over rpm when both are", () => {
    const byRpm = router([dep("a", "eu", { rpm: 100 }), dep("b", "eu", { rpm: 900 })]);
    const s = shares(N, () => choose(byRpm) as string);
    expect(s.b).toBeGreaterThan(0.88);
    expect(s.b).toBeLessThan(0.92);
    const both = router([dep("a", "eu", { weight: 9, rpm: 1 }), dep("b", "eu", { weight: 1, rpm: 1000 })]);
    const w = shares(N, () => choose(both) as string);
    expect(w.a).toBeGreaterThan(0.88);
    expect(w.a).toBeLessThan(0.92);
  });

  it("uses tpm when neither weight nor rpm is set", () => {
    const r = router([
      dep("a", "eu", { tpm: 1000 }),
      dep("b", "eu", { tpm: 1000 }),
      dep("c", "eu", { tpm: 2000 }),
    ]);
    const s = shares(N, () => choose(r) as string);
    expect(s.c).toBeGreaterThan(0.48);
    expect(s.c).toBeLessThan(0.52);
    expect(s.a).toBeGreaterThan(0.23);
  });

  it("shares equally without any weight hint", () => {
    const r = router([dep("a", "eu"), dep("b", "eu"), dep("c", "eu"), dep("d", "eu")]);
    const s = shares(N, () => choose(r) as string);
    for (const id of ["a", "b", "c", "d"]) {
      expect(s[id]).toBeGreaterThan(0.23);
      expect(s[id]).toBeLessThan(0.27);
    }
  });
});

describe("order", () => {
  const list = [
    dep("low", "eu", { order: 1 }),
    dep("mid", "eu", { order: 2 }),
    dep("high", "eu", { order: 3 }),
  ];

  it("serves from the lowest order only while it is available", () => {
    const r = router(list, "order");
    expect(shares(1000, () => choose(r) as string)).toEqual({ low: 1 });
    r.state.startCooldown("low", Date.now() + 60_000);
    expect(shares(1000, () => choose(r) as string)).toEqual({ mid: 1 });
    r.state.startCooldown("mid", Date.now() + 60_000);
    expect(choose(r)).toBe("high");
  });

  it("a retry moves to the next order when the lower one was already tried", () => {
    const r = router(list, "order");
    const av = r.available("m", UNRESTRICTED, Date.now(), new Set(["low"]));
    expect(av.kind === "ok" && av.candidates.map((d) => d.id)).toEqual(["mid", "high"]);
    if (av.kind === "ok")
      expect(shares(1000, () => r.pick(av.candidates, Date.now(), 0)!.id)).toEqual({ mid: 1 });
  });

  it("a lower order at its rpm gives way to the next order (usage-based)", () => {
    const r = router(
      [dep("low", "eu", { order: 1, rpm: 2 }), dep("high", "eu", { order: 2 })],
      "usage-based-routing-v2",
    );
    const now = Date.now();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = choose(r, now) as string;
      seen.push(id);
      r.state.recordUsage(id, 1, 0, now);
    }
    expect(seen).toEqual(["low", "low", "high", "high"]);
  });

  it("applies under other strategies too (LiteLLM: order filters before the strategy)", () => {
    const r = router([...list, dep("low2", "eu", { order: 1 })], "simple-shuffle");
    const s = shares(N, () => choose(r) as string);
    expect(Object.keys(s).sort()).toEqual(["low", "low2"]);
    expect(s.low).toBeGreaterThan(0.47);
    expect(s.low).toBeLessThan(0.53);
  });
});

describe("least-busy", () => {
  it("picks among the deployments with the fewest requests in flight", () => {
    const r = router([dep("a", "eu"), dep("b", "eu"), dep("c", "eu")], "least-busy");
    for (let i = 0; i < 3; i++) r.state.begin("a");
    r.state.begin("b");
    r.state.begin("c");
    r.state.begin("c");
    expect(shares(1000, () => choose(r) as string)).toEqual({ b: 1 });
    r.state.end("c");
    const s = shares(N, () => choose(r) as string);
    expect(s.a).toBeUndefined();
    expect(s.b).toBeGreaterThan(0.47);
    expect(s.c).toBeGreaterThan(0.47);
  });
});

describe("latency-based-routing", () => {
  it("tries unmeasured deployments first, then prefers the fast ones, sharing within the buffer", () => {
    const r = router([dep("fast", "eu"), dep("near", "eu"), dep("slow", "eu")], "latency-based-routing");
    r.state.recordLatency("fast", 100);
    r.state.recordLatency("slow", 400);
    expect(shares(1000, () => choose(r) as string)).toEqual({ near: 1 });
    r.state.recordLatency("near", 108); // within the default 10 % buffer of 100
    const s = shares(N, () => choose(r) as string);
    expect(s.slow).toBeUndefined();
    expect(s.fast).toBeGreaterThan(0.46);
    expect(s.near).toBeGreaterThan(0.46);
    r.state.recordLatency("near", 200); // EWMA now ~126 ms: outside the buffer
    expect(shares(1000, () => choose(r) as string)).toEqual({ fast: 1 });
  });
});

describe("usage-based-routing-v2", () => {
  it("prefers the least used and skips deployments at their rpm", () => {
    const r = router([dep("a", "eu", { rpm: 2 }), dep("b", "eu", { rpm: 4 })], "usage-based-routing-v2");
    const now = Date.UTC(2030, 0, 1, 12, 0, 10);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = choose(r, now) as string;
      seen.push(id);
      r.state.recordUsage(id, 1, 0, now);
    }
    expect(seen.filter((x) => x === "a")).toHaveLength(2);
    expect(seen.filter((x) => x === "b")).toHaveLength(4);
    expect(choose(r, now)).toBeUndefined(); // all at their limit: the loop turns this into a 429
    expect(choose(r, now + 60_000)).toBeDefined(); // a new clock minute resets usage
  });

  it("skips a deployment whose tpm the request would exceed", () => {
    const r = router(
      [dep("small", "eu", { tpm: 100 }), dep("big", "eu", { tpm: 10_000 })],
      "usage-based-routing-v2",
    );
    const now = Date.now();
    expect(shares(200, () => choose(r, now, 500) as string)).toEqual({ big: 1 });
    const s = shares(2000, () => choose(r, now, 10) as string);
    expect(s.small).toBeGreaterThan(0.3);
    r.state.recordUsage("small", 1, 95, now);
    expect(shares(200, () => choose(r, now, 10) as string)).toEqual({ big: 1 });
  });
});
