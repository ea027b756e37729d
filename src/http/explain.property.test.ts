import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectInto } from "../../test/inject.js";
import { build } from "../app.js";
import { parseConfigText } from "../config/load.js";
import { openStore, type Store } from "../store/customers.js";

/**
 * POST /route/explain against the real thing, over random configs: the deployment explain names is
 * the one a real request then goes to (mock deployments answer at once, so the first pick serves),
 * and when explain names none, the real request is refused without being served. The router's random
 * source is a constant per case, so a shuffle draws the same for both.
 */
const GEOS = ["eu", "us", "uk", undefined] as const;
const STRATEGIES = [
  "simple-shuffle",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing-v2",
] as const;

const depArb = fc.record({
  group: fc.constantFrom("m", "f"),
  geo: fc.constantFrom(...GEOS),
  order: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  weight: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  rpm: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  cooling: fc.constantFrom(undefined, "failures", "upstream"),
  inflight: fc.integer({ min: 0, max: 2 }),
  latency: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  used: fc.integer({ min: 0, max: 3 }),
});
const caseArb = fc.record({
  deps: fc.array(depArb, { minLength: 1, maxLength: 6 }),
  strategy: fc.constantFrom(...STRATEGIES),
  customer: fc.constantFrom("cust-eu", "cust-us", undefined),
  random: fc.double({ min: 0, max: 0.999, noNaN: true }),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function yamlOf(c: Case): string {
  const entries = c.deps.map((d, i) =>
    [
      `  - model_name: ${d.group}`,
      "    litellm_params:",
      `      model: openai/gpt-4o`,
      `      mock_response: "ok"`,
      d.geo ? `      region_name: ${d.geo}` : "",
      d.order !== undefined ? `      order: ${d.order}` : "",
      d.weight !== undefined ? `      weight: ${d.weight}` : "",
      d.rpm !== undefined ? `      rpm: ${d.rpm}` : "",
      "    model_info:",
      `      id: d${i}`,
    ]
      .filter(Boolean)
      .join("\n"),
  );
  // both groups must exist (the request and the fallback name them): an unassigned one if none
  for (const g of ["m", "f"])
    if (!c.deps.some((d) => d.group === g))
      entries.push(
        `  - model_name: ${g}\n    litellm_params:\n      model: openai/gpt-4o\n      mock_response: ok\n    model_info:\n      id: ${g}-unassigned`,
      );
  return `model_list:\n${entries.join("\n")}
router_settings:
  routing_strategy: ${c.strategy}
  num_retries: 0
  fallbacks: [{"m": ["f"]}]
general_settings:
  master_key: sk-1234
  disable_spend_logs: true
`;
}

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "meridian-explain-"));
  store = await openStore(`sqlite:${join(dir, "x.db")}`);
  await store.createCustomer("cust-eu", { allowed_model_region: "eu" });
  await store.createCustomer("cust-us", { allowed_model_region: "us" });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function check(c: Case): Promise<void> {
  const config = parseConfigText(yamlOf(c), "explain.yaml", {});
  const built = await build({ config, store, metrics: false, random: () => c.random });
  try {
    const state = built.gateway.router.state;
    const now = Date.now();
    c.deps.forEach((d, i) => {
      if (d.cooling) state.startCooldown(`d${i}`, now + 60_000, d.cooling);
      for (let k = 0; k < d.inflight; k++) state.begin(`d${i}`);
      if (d.latency !== undefined) state.recordLatency(`d${i}`, d.latency);
      state.recordUsage(`d${i}`, d.used, 0, now);
    });
    const body = {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      ...(c.customer ? { user: c.customer } : {}),
    };
    const auth = { authorization: "Bearer sk-1234", "content-type": "application/json" };
    const ex = await injectInto(built, {
      method: "POST",
      url: "/route/explain",
      headers: auth,
      payload: { body },
    });
    expect(ex.statusCode).toBe(200);
    const e = ex.json();
    const probe =
      e.groups.map((g: { probe: string | null }) => g.probe).find((p: string | null) => p) ?? null;
    const real = await injectInto(built, {
      method: "POST",
      url: "/v1/chat/completions",
      headers: auth,
      payload: JSON.stringify(body),
    });
    const served = real.statusCode === 200 ? (real.headers["x-litellm-model-id"] as string) : null;
    if (e.pick) expect(served).toBe(e.pick.deployment_id);
    else if (probe) expect(served).toBe(probe);
    else {
      expect(served).toBeNull();
      expect([403, 429]).toContain(real.statusCode);
    }
    // whatever explain said, nothing outside the policy is ever named eligible
    const allowed = c.customer === "cust-eu" ? "eu" : c.customer === "cust-us" ? "us" : undefined;
    for (const g of e.groups)
      for (const d of g.deployments) if (allowed && d.eligible) expect(d.geography).toBe(allowed);
  } finally {
    await built.close();
  }
}

describe("POST /route/explain agrees with routing", () => {
  it("over random configs, policies, cooldowns and load (120 cases)", async () => {
    await fc.assert(fc.asyncProperty(caseArb, check), { numRuns: 120 });
  }, 120_000);

  it("explains why each deployment is not eligible and changes nothing", async () => {
    const c: Case = {
      deps: [
        {
          group: "m",
          geo: "us",
          order: undefined,
          weight: undefined,
          rpm: undefined,
          cooling: undefined,
          inflight: 0,
          latency: undefined,
          used: 0,
        },
        {
          group: "m",
          geo: "eu",
          order: undefined,
          weight: undefined,
          rpm: undefined,
          cooling: "failures",
          inflight: 0,
          latency: undefined,
          used: 0,
        },
        {
          group: "m",
          geo: "eu",
          order: undefined,
          weight: undefined,
          rpm: undefined,
          cooling: undefined,
          inflight: 0,
          latency: undefined,
          used: 0,
        },
      ],
      strategy: "simple-shuffle",
      customer: "cust-eu",
      random: 0,
    };
    const built = await build({
      config: parseConfigText(yamlOf(c), "x.yaml", {}),
      store,
      metrics: false,
      random: () => 0,
    });
    try {
      built.gateway.router.state.startCooldown("d1", Date.now() + 60_000, "failures");
      const auth = { authorization: "Bearer sk-1234" };
      const ask = () =>
        injectInto(built, {
          method: "POST",
          url: "/route/explain",
          headers: auth,
          payload: {
            body: { model: "m", messages: [{ role: "user", content: "x" }] },
            end_user_id: "cust-eu",
          },
        });
      const e = (await ask()).json();
      expect(e.policy).toEqual({
        allowed: ["eu"],
        sources: [{ source: "customer", id: "cust-eu", allowed: ["eu"] }],
      });
      const byId = Object.fromEntries(e.groups[0].deployments.map((d: { id: string }) => [d.id, d]));
      expect(byId.d0).toMatchObject({ eligible: false, geography: "us" });
      expect(byId.d0.reasons[0]).toMatch(/^region: us is not in the policy/);
      expect(byId.d1).toMatchObject({ eligible: false });
      expect(byId.d1.reasons).toEqual(["cooldown (failures)"]);
      expect(byId.d2).toMatchObject({ eligible: true, reasons: [] });
      expect(e.pick).toEqual({ deployment_id: "d2", model_group: "m", geography: "eu" });
      // asked again: the same answer (no probe claimed, no in-flight or usage counted)
      expect((await ask()).json()).toEqual(e);
      expect(built.gateway.router.state.inflight("d2")).toBe(0);
      const bad = await injectInto(built, {
        method: "POST",
        url: "/route/explain",
        headers: auth,
        payload: { body: { model: "nope", messages: [{ role: "user", content: "x" }] } },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.param).toBe("model");
      const blocked = await injectInto(built, {
        method: "POST",
        url: "/route/explain",
        headers: auth,
        payload: { operation: "images", body: {} },
      });
      expect(blocked.json().error.param).toBe("operation");
      expect(
        (await injectInto(built, { method: "POST", url: "/route/explain", payload: { body: {} } }))
          .statusCode,
      ).toBe(401);
    } finally {
      await built.close();
    }
  });
});
