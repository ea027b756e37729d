import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { injectInto } from "../../test/inject.js";
import { build } from "../app.js";
import { parseConfigText } from "../config/load.js";
import { openStore } from "../store/customers.js";

/**
 * Property, end to end through the HTTP layer: for random configs (deployments in random regions,
 * some unassigned) and random customers, every 200 is served from the customer's geography and every
 * 403 no_deployment_in_region is right that none exists. Expected geographies are spelled out here,
 * independently of the gateway's own table.
 */
const REGION_NAMES: Record<string, string | null> = {
  eu: "eu",
  westeurope: "eu",
  swedencentral: "eu",
  "eu-central-1": "eu",
  us: "us",
  eastus: "us",
  "us-west-2": "us",
  uk: "uk",
  "eu-west-2": "uk", // London: not the EU
  "": null, // unassigned
};
const GROUPS = ["alpha", "beta", "gamma"];
const CUSTOMER_REGIONS = ["eu", "us", "uk", null] as const;

const deploymentArb = fc.record({
  group: fc.constantFrom(...GROUPS),
  region: fc.constantFrom(...Object.keys(REGION_NAMES)),
});
const requestArb = fc.record({
  customer: fc.integer({ min: 0, max: CUSTOMER_REGIONS.length }), // last index = no end user at all
  group: fc.constantFrom(...GROUPS),
  op: fc.constantFrom("chat", "embeddings", "completions", "stream"),
  via: fc.constantFrom("user", "header", "metadata"),
});

const dir = mkdtempSync(join(tmpdir(), "meridian-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let run = 0;

describe("residency property (random configs and customers, through HTTP)", () => {
  it("never serves a pinned customer outside its region", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(deploymentArb, { minLength: 1, maxLength: 8 }),
        fc.array(requestArb, { minLength: 1, maxLength: 25 }),
        async (deps, reqs) => {
          const yaml = `model_list:\n${deps
            .map(
              (d, i) =>
                `  - model_name: ${d.group}\n    litellm_params:\n      model: openai/m${i}\n      mock_response: "d${i}"\n${d.region ? `      region_name: ${d.region}\n` : ""}    model_info:\n      id: d${i}\n`,
            )
            .join("")}general_settings:\n  master_key: sk-fuzz\n`;
          const config = parseConfigText(yaml, "fuzz.yaml", {});
          const store = await openStore(`sqlite:${join(dir, `f${run++}.db`)}`);
          const built = await build({ config, store, metrics: false });
          const auth = { authorization: "Bearer sk-fuzz", "content-type": "application/json" };
          try {
            for (const [i, region] of CUSTOMER_REGIONS.entries()) {
              const r = await built.app.inject({
                method: "POST",
                url: "/end_user/new",
                headers: auth,
                payload: { user_id: `c${i}`, allowed_model_region: region },
              });
              expect(r.statusCode).toBe(200);
            }
            for (const q of reqs) {
              const id = q.customer < CUSTOMER_REGIONS.length ? `c${q.customer}` : undefined;
              const allowed = q.customer < CUSTOMER_REGIONS.length ? CUSTOMER_REGIONS[q.customer] : null;
              const body: Record<string, unknown> = { model: q.group };
              if (q.op === "embeddings") body.input = "x";
              else if (q.op === "completions") body.prompt = "x";
              else body.messages = [{ role: "user", content: "x" }];
              if (q.op === "stream") body.stream = true;
              const headers: Record<string, string> = { ...auth };
              if (id && q.via === "user") body.user = id;
              if (id && q.via === "header") headers["x-litellm-end-user-id"] = id;
              if (id && q.via === "metadata") body.metadata = { user_id: id };
              const path =
                q.op === "embeddings"
                  ? "/v1/embeddings"
                  : q.op === "completions"
                    ? "/v1/completions"
                    : "/v1/chat/completions";
              const res = await injectInto(built, { method: "POST", url: path, headers, payload: body });

              const inGroup = deps.map((d, i) => ({ ...d, id: `d${i}` })).filter((d) => d.group === q.group);
              const servable =
                allowed === null ? inGroup : inGroup.filter((d) => REGION_NAMES[d.region] === allowed);
              if (inGroup.length === 0) {
                expect(res.statusCode).toBe(400); // unknown model group
                continue;
              }
              if (servable.length === 0) {
                expect(res.statusCode).toBe(403);
                expect(res.json().error.code).toBe("no_deployment_in_region");
                continue;
              }
              expect(res.statusCode).toBe(200);
              const served = String(res.headers["x-litellm-model-id"]);
              expect(servable.map((d) => d.id)).toContain(served);
              if (allowed !== null) expect(res.headers["x-litellm-model-region"]).toBe(allowed);
            }
          } finally {
            await built.close();
            await store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
