import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { abbreviate, hashKey } from "../auth/key-service.js";
import type { Geography } from "../regions/table.js";

const REGIONS = ["eu", "us", "uk"] as const;
type Region = (typeof REGIONS)[number];
type Maybe = Region | null;

/** One model group per non-empty subset of the regions, each deployment on its region's upstream. */
const GROUPS: Region[][] = [
  ["eu"],
  ["us"],
  ["uk"],
  ["eu", "us"],
  ["eu", "uk"],
  ["us", "uk"],
  ["eu", "us", "uk"],
];
const groupName = (g: Region[]) => `m-${g.join("-")}`;
const YAML = `
model_list:
${GROUPS.flatMap((g) =>
  g.map(
    (r) => `  - model_name: ${groupName(g)}
    litellm_params:
      model: openai/gpt-4o
      api_base: {{${r}}}/v1
      api_key: sk-upstream
      region_name: ${r}`,
  ),
).join("\n")}
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
`;

const OPTIONS: Maybe[] = [null, ...REGIONS];
const keyFor = (k: Maybe, t: Maybe) => `sk-prop-key-${k ?? "none"}-${t ?? "none"}-0000`;

/**
 * Issue 14's property: for random key, team and customer regions and any model group, the serving
 * deployment is always inside the intersection of the restrictions; an empty intersection is a
 * 403 region_conflict and no upstream is called at all.
 */
describe("effective region = key ∩ team ∩ customer (property)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: [...REGIONS] });
    const a = h.store.access;
    const budget = {
      spend: 0,
      max_budget: null,
      budget_duration: null,
      budget_reset_at: null,
      tpm_limit: null,
      rpm_limit: null,
    };
    for (const t of OPTIONS) {
      if (t !== null) {
        await a.createTeam(
          {
            ...budget,
            team_id: `team-${t}`,
            team_alias: null,
            models: [],
            metadata: {},
            blocked: false,
            max_parallel_requests: null,
            allowed_model_region: t as Geography,
          },
          [],
        );
      }
      for (const k of OPTIONS) {
        // written to the store directly: the API would refuse a key whose region differs from its team's
        const key = keyFor(k, t);
        await a.createKey({
          ...budget,
          token: hashKey(key),
          key_name: abbreviate(key),
          key_alias: null,
          user_id: null,
          team_id: t === null ? null : `team-${t}`,
          models: [],
          aliases: {},
          metadata: {},
          blocked: false,
          expires: null,
          max_parallel_requests: null,
          allowed_model_region: k,
        });
      }
    }
    for (const c of REGIONS)
      await post(`${h.url}/end_user/new`, { user_id: `cust-${c}`, allowed_model_region: c }, h.auth);
  });
  afterAll(async () => h.close());

  it("serves only inside the intersection; an empty one is 403 region_conflict with zero upstream calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OPTIONS),
        fc.constantFrom(...OPTIONS),
        fc.constantFrom(...OPTIONS),
        fc.constantFrom(...GROUPS),
        fc.boolean(),
        async (k, t, c, group, stream) => {
          for (const u of Object.values(h.upstreams)) u.reset();
          const restrictions = [k, t, c].filter((x): x is Region => x !== null);
          const allowed = REGIONS.filter((r) => restrictions.every((x) => x === r));
          const body: Record<string, unknown> = {
            model: groupName(group),
            messages: [{ role: "user", content: "hi" }],
            stream,
          };
          if (c !== null) body.user = `cust-${c}`;
          const r = await post(`${h.url}/chat/completions`, body, {
            authorization: `Bearer ${keyFor(k, t)}`,
          });
          const hits = REGIONS.map((x) => h.upstreams[x].hits);
          if (new Set(restrictions).size > 1) {
            expect(r.status).toBe(403);
            expect(r.json.error.code).toBe("region_conflict");
            if (k) expect(r.json.error.message).toContain(`key "${abbreviate(keyFor(k, t))}" allows ${k}`);
            if (t) expect(r.json.error.message).toContain(`team "team-${t}" allows ${t}`);
            expect(hits).toEqual([0, 0, 0]);
            return;
          }
          const servable = group.filter((g) => allowed.includes(g));
          if (servable.length === 0) {
            expect(r.status).toBe(403);
            expect(hits).toEqual([0, 0, 0]);
            return;
          }
          expect(r.status).toBe(200);
          expect(servable).toContain(r.headers.get("x-litellm-model-region"));
          REGIONS.forEach((x, i) => {
            if (!allowed.includes(x)) expect(hits[i]).toBe(0);
          });
          expect(hits.reduce((a, b) => a + b, 0)).toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });
});
