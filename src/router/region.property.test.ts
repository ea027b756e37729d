import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dep, routerConfig, seeded } from "../../test/router-fixtures.js";
import type { RoutingStrategy } from "../config/normalize.js";
import type { Geography } from "../regions/table.js";
import { type AttemptFailure, failureFromError, failureFromResponse } from "../upstream/errors.js";
import { LoopFailure, runAttempts } from "./attempt.js";
import type { Deployment } from "./deployment.js";
import { filterByRegion, policyOf, type RegionPolicy } from "./filters.js";
import { Router } from "./router.js";
import { LocalRouterState } from "./state.js";

const GEOS: Array<Geography | undefined> = ["eu", "us", "uk", undefined];
const STRATEGIES: RoutingStrategy[] = [
  "simple-shuffle",
  "order",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing-v2",
];

const deploymentArb = fc.record({
  geo: fc.constantFrom(...GEOS),
  group: fc.constantFrom("m", "f", "g"),
  order: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  weight: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  rpm: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  tpm: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
  cooling: fc.boolean(),
  inflight: fc.integer({ min: 0, max: 3 }),
  latency: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
  used: fc.integer({ min: 0, max: 3 }),
});

const scenarioArb = fc.record({
  deps: fc.array(deploymentArb, { minLength: 1, maxLength: 9 }),
  // Each restriction (customer, key, team …) allows some geographies; the policy is their intersection.
  restrictions: fc.array(fc.subarray<Geography>(["eu", "us", "uk"], { minLength: 1 }), { maxLength: 3 }),
  strategy: fc.constantFrom(...STRATEGIES),
  seed: fc.integer(),
  triedMask: fc.integer({ min: 0, max: 511 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function setup(s: Scenario) {
  const now = Date.UTC(2030, 0, 1, 12, 0, 30);
  const deployments: Deployment[] = s.deps.map((x, i) =>
    dep(`d${i}`, x.geo, { modelGroup: x.group, order: x.order, weight: x.weight, rpm: x.rpm, tpm: x.tpm }),
  );
  const cfg = routerConfig({ strategy: s.strategy, fallbacks: new Map([["m", ["f", "g"]]]) });
  const r = new Router({ deployments, router: cfg }, new LocalRouterState(), seeded(s.seed));
  s.deps.forEach((x, i) => {
    if (x.cooling) r.state.startCooldown(`d${i}`, now + 10_000);
    for (let k = 0; k < x.inflight; k++) r.state.begin(`d${i}`);
    if (x.latency !== undefined) r.state.recordLatency(`d${i}`, x.latency);
    r.state.recordUsage(`d${i}`, x.used, x.used * 100, now);
  });
  const policy: RegionPolicy = policyOf(
    s.restrictions.map((geos, i) => ({ source: "customer", id: `r${i}`, allowed: new Set(geos) })),
    "c",
  );
  // Stated independently of the filter: every restriction must allow the deployment's geography.
  const permitted = (d: Deployment) =>
    s.restrictions.every((geos) => d.geography !== undefined && geos.includes(d.geography));
  const tried = new Set(deployments.filter((_, i) => s.triedMask & (1 << i)).map((d) => d.id));
  return { r, deployments, policy, now, tried, permitted };
}

describe("region invariant (property)", () => {
  it("filterByRegion keeps exactly the deployments of the policy's geography", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { deployments, policy, permitted } = setup(s);
        const out = filterByRegion(deployments, policy);
        const expected = deployments.filter(permitted);
        expect(out.map((d) => d.id)).toEqual(expected.map((d) => d.id));
      }),
      { numRuns: 500 },
    );
  });

  it("available + pick only ever choose a deployment in the policy's geography", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { r, policy, now, tried, permitted } = setup(s);
        for (const group of ["m", "f", "g"]) {
          const av = r.available(group, policy, now, tried);
          const inGroup = r.groups.get(group) ?? [];
          const inRegion = inGroup.filter(permitted);
          if (av.kind === "none_in_region") expect(inRegion).toHaveLength(0);
          if (av.kind === "cooling") expect(inRegion.length).toBeGreaterThan(0);
          if (av.kind !== "ok") continue;
          for (const c of av.candidates) expect(permitted(c)).toBe(true);
          const d = r.pick(av.candidates, now, 50);
          if (d) expect(permitted(d)).toBe(true);
          if (d) expect(d.modelGroup).toBe(group);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("the attempt loop never calls an out-of-region deployment, whatever fails", async () => {
    const outcomes = fc.array(fc.constantFrom(200, 429, 500, 503, 408, 401, 404, 400, 0, -1), {
      minLength: 1,
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(scenarioArb, outcomes, fc.boolean(), async (s, seq, noCool) => {
        const { r, policy, permitted } = setup({ ...s, deps: s.deps.map((d) => ({ ...d, cooling: false })) });
        (r.settings as { disableCooldowns: boolean }).disableCooldowns = noCool;
        let i = 0;
        const called: Deployment[] = [];
        try {
          const ok = await runAttempts(r, {
            group: "m",
            policy,
            signal: new AbortController().signal,
            estimatedTokens: 10,
            call: async (d) => {
              called.push(d);
              const code = seq[i++ % seq.length];
              if (code === 200) return { ok: true, value: d.id };
              return { ok: false, failure: failure(code) };
            },
          });
          expect(permitted(ok.deployment)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(LoopFailure);
        }
        for (const d of called) expect(permitted(d)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

/** Failures with a zero Retry-After so the loop never sleeps in a property run. */
function failure(code: number): AttemptFailure {
  let f: AttemptFailure;
  if (code === 0) f = failureFromError({ code: "ECONNRESET" }, "d", false);
  else if (code === -1) f = failureFromError(new Error("t"), "d", true);
  else if (code === 400)
    f = failureFromResponse(
      400,
      {},
      Buffer.from('{"error":{"message":"x","code":"context_length_exceeded"}}'),
      "d",
    );
  else f = failureFromResponse(code, {}, Buffer.from("{}"), "d");
  f.retryAfterMs = 0;
  return f;
}
