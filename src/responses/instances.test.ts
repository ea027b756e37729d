import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { responsesYaml } from "../../test/responses-config.js";
import { postgresAdapter } from "../../test/store-adapters.js";

/**
 * Two gateway instances on one Postgres and the same upstreams: a response created through A is
 * found through B (id -> deployment in the shared store), its follow-ups go to the deployment that
 * holds it from either instance, and a translated response's conversation continues on B.
 */
const YAML = responsesYaml({ numRetries: 0 });

describe("Responses affinity across instances (Postgres)", () => {
  const pg = postgresAdapter();
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    const url = pg.fresh();
    a = await startHarness({ yaml: YAML, databaseUrl: url });
    b = await startHarness({ yaml: YAML, databaseUrl: url, shared: a.upstreams });
    for (const region of ["eu", "us"])
      expect(
        (
          await post(
            `${a.url}/end_user/new`,
            { user_id: `c-${region}`, allowed_model_region: region },
            a.auth,
          )
        ).status,
      ).toBe(200);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await pg.cleanup();
  });

  it("created on A, retrieved and continued on B at the holding deployment", async () => {
    const created: Array<{ id: string; region: string | null }> = [];
    for (let i = 0; i < 6; i++) {
      const user = i % 2 === 0 ? "c-eu" : "c-us";
      const r = await post(`${a.url}/v1/responses`, { model: "gpt-4o", input: "hi", user }, a.auth);
      expect(r.status).toBe(200);
      created.push({ id: r.json.id, region: r.headers.get("x-litellm-model-region") });
    }
    // created in both regions; each follow-up (by an unrestricted caller) must find its own
    expect(new Set(created.map((c) => c.region)).size).toBe(2);
    for (const c of created) {
      const got = await get(`${b.url}/v1/responses/${c.id}`, b.auth);
      expect(got.status).toBe(200);
      expect(got.headers.get("x-litellm-model-region")).toBe(c.region);
      const next = await post(
        `${b.url}/v1/responses`,
        { model: "gpt-4o", input: "more", previous_response_id: c.id },
        b.auth,
      );
      expect(next.status).toBe(200);
      expect(next.headers.get("x-litellm-model-region")).toBe(c.region);
    }
    const t = await post(`${a.url}/v1/responses`, { model: "chat-only", input: "hi" }, a.auth);
    a.upstreams.eu.reset();
    const cont = await post(
      `${b.url}/v1/responses`,
      { model: "chat-only", input: "and?", previous_response_id: t.json.id },
      b.auth,
    );
    expect(cont.status).toBe(200);
    expect(a.upstreams.eu.requests[0].body?.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "Hello from eu" },
      { role: "user", content: "and?" },
    ]);
  });
});
