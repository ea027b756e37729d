import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import type { CacheConfig } from "../config/cache-params.js";
import { silentLogger } from "../observability/logger.js";
import type { Geography } from "../regions/table.js";
import { geographyAllowed, policyOf, type RegionPolicy } from "../router/filters.js";
import { ResponseCache } from "./cache.js";

const GEOS = ["eu", "us", "uk", "ch"] as const;

/** Groups over deployments in different geographies (and one deployment with no region). */
const YAML = `
model_list:
${[
  ["m-all", ["eu", "us", "uk", "ch", "none"]],
  ["m-eu-us", ["eu", "us"]],
  ["m-us", ["us"]],
  ["m-uk-ch-none", ["uk", "ch", "none"]],
]
  .flatMap(([group, geos]) =>
    (geos as string[]).map(
      (g) => `  - model_name: ${group}
    litellm_params:
      model: openai/gpt-4o
      api_base: {{${g}}}/v1
      api_key: sk-up
${g === "none" ? "" : `      region_name: ${g}\n`}`,
    ),
  )
  .join("")}
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
litellm_settings:
  cache: true
`;

/**
 * The residency property with the cache on: random sequences of requests from customers whose
 * policies change at random, over deployments in several geographies. Every answer is counted by
 * the fake upstream that produced it ("Hello from <label>", whether served fresh or from the cache),
 * for chat and the Responses API, whole and streamed: no customer ever receives one produced outside
 * its policy.
 */
describe("response cache: no answer crosses a policy (property)", () => {
  let h: Harness;
  const customers = ["p1", "p2", "p3"];
  let served = 0;
  let fromCache = 0;
  let responsesFromCache = 0;

  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: [...GEOS, "none"] });
    for (const c of customers)
      expect(
        (await post(`${h.url}/end_user/new`, { user_id: c, allowed_model_region: "eu" }, h.auth)).status,
      ).toBe(200);
  });
  afterAll(async () => {
    console.log(`cache residency property: ${served} answers served, ${fromCache} from the cache`);
    await h?.close();
  });

  const requestArb = fc.record({
    who: fc.constantFrom(...customers, "anonymous"),
    group: fc.constantFrom("m-all", "m-eu-us", "m-us", "m-uk-ch-none"),
    prompt: fc.constantFrom("a", "b"),
    stream: fc.boolean(),
    api: fc.constantFrom("chat", "responses"),
  });
  const stepArb = fc.oneof(
    { weight: 5, arbitrary: requestArb.map((r) => ({ kind: "request" as const, ...r })) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("move" as const),
        who: fc.constantFrom(...customers),
        to: fc.constantFrom(...GEOS),
      }),
    },
  );

  it("every served answer was produced inside the caller's policy", async () => {
    const regionOf = new Map<string, string>(customers.map((c) => [c, "eu"]));
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
        for (const s of steps) {
          if (s.kind === "move") {
            const r = await post(
              `${h.url}/end_user/update`,
              { user_id: s.who, allowed_model_region: s.to },
              h.auth,
            );
            expect(r.status).toBe(200);
            regionOf.set(s.who, s.to);
            continue;
          }
          const body: Record<string, unknown> =
            s.api === "chat"
              ? { model: s.group, messages: [{ role: "user", content: s.prompt }], stream: s.stream }
              : { model: s.group, input: s.prompt, stream: s.stream };
          if (s.who !== "anonymous") body.user = s.who;
          const res = await fetch(`${h.url}/v1/${s.api === "chat" ? "chat/completions" : "responses"}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...h.auth },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          if (res.status !== 200) continue;
          served++;
          if (res.headers.get("x-meridian-cache") === "hit") {
            fromCache++;
            if (s.api === "responses") responsesFromCache++;
          }
          const producers = [...text.matchAll(/Hello from (\w+)/g)].map((m) => m[1]);
          expect(producers.length).toBeGreaterThan(0);
          const allowed = s.who === "anonymous" ? undefined : regionOf.get(s.who);
          for (const p of producers) if (allowed !== undefined) expect(p).toBe(allowed);
        }
      }),
      { numRuns: 40 },
    );
    expect(fromCache).toBeGreaterThan(0);
    expect(responsesFromCache).toBeGreaterThan(0);
  });
});

const cfg: CacheConfig = {
  type: "local",
  mode: "default_on",
  ttlMs: 60_000,
  namespace: undefined,
  operations: new Set(["chat"]),
  maxMemoryBytes: 1 << 20,
  maxItemBytes: 1 << 16,
  redisUrl: undefined,
  geographyRedis: new Map(),
  redisTimeoutMs: 100,
};

/**
 * The second line of defence, with the key deliberately broken: every entry under ONE key, from
 * random geographies, looked up by random policies (several geographies, unrestricted, empty).
 * The lookup still returns only entries whose producing geography the policy allows.
 */
describe("response cache lookup with a broken key (property)", () => {
  const geoArb = fc.constantFrom<Geography | null>("eu", "us", "uk", null);
  const policyArb = fc.oneof(
    fc.constant(policyOf([], undefined)),
    fc.array(fc.subarray<Geography>(["eu", "us", "uk"]), { minLength: 1, maxLength: 2 }).map((rs) =>
      policyOf(
        rs.map((g, i) => ({ source: "customer" as const, id: `r${i}`, allowed: new Set(g) })),
        undefined,
      ),
    ),
  );

  it("never returns an entry produced outside the policy", async () => {
    const cache = new ResponseCache(cfg, silentLogger());
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            geoArb.map((g) => ({ write: g })),
            policyArb.map((p) => ({ read: p })),
          ),
          { maxLength: 20 },
        ),
        async (ops) => {
          for (const op of ops) {
            if ("write" in op) {
              const geo = op.write;
              cache.save(
                "the-one-key",
                { geo, deployment: `d-${geo}`, op: "chat", at: Date.now(), body: '{"ok":1}' },
                60_000,
                "m",
              );
              await Promise.resolve();
              continue;
            }
            const policy: RegionPolicy = op.read;
            const { entry } = await cache.lookup("the-one-key", policy, undefined);
            if (entry) expect(geographyAllowed(policy, entry.geo ?? undefined)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
