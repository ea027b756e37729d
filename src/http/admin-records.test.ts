import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";

/**
 * Admin requests that change something, and every refusal, leave a spend-log record each, under the
 * call id their answer carries: who, the route's pattern, status, error code. Successful reads and
 * health probes do not; a body (which may hold a key) is never kept.
 */
describe("a spend-log record for every admin change and refusal", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  });
  afterAll(async () => h.close());

  const recordOf = async (callId: string | null) => {
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
    await h.built.spendLog?.flush();
    const { rows } = await h.store.spend.find({ requestId: callId as string }, 10, 0);
    expect(rows).toHaveLength(1);
    return rows[0];
  };

  it("served, refused and unknown routes each leave one record; a health probe leaves none", async () => {
    const made = await post(
      `${h.url}/key/generate`,
      { key: "sk-chosen-secret-1234", key_alias: "k1" },
      h.auth,
    );
    expect(made.status).toBe(200);
    const r1 = await recordOf(made.headers.get("x-litellm-call-id"));
    expect(r1).toMatchObject({
      call_type: "POST /key/generate",
      status: "success",
      http_status: 200,
      error_code: null,
      api_key: "",
      messages: null,
      response: null,
    });
    expect(JSON.stringify(r1)).not.toContain("sk-chosen-secret-1234");

    // the new key reading an admin route it may not: its hash is who called
    const denied = await get(`${h.url}/key/list`, { authorization: "Bearer sk-chosen-secret-1234" });
    expect(denied.status).toBe(403);
    const r2 = await recordOf(denied.headers.get("x-litellm-call-id"));
    expect(r2).toMatchObject({ call_type: "GET /key/list", status: "failure", http_status: 403 });
    expect(r2.error_code).toBe(denied.json.error.code);
    expect(r2.api_key).toMatch(/^[0-9a-f]{64}$/);

    const wrongKey = await get(`${h.url}/customer/list`, { authorization: "Bearer sk-nope" });
    expect(wrongKey.status).toBe(401);
    const r3 = await recordOf(wrongKey.headers.get("x-litellm-call-id"));
    expect(r3).toMatchObject({
      call_type: "GET /customer/list",
      http_status: 401,
      error_code: wrongKey.json.error.code,
    });

    const nowhere = await get(`${h.url}/no/such/route?token=x`, h.auth);
    expect(nowhere.status).toBe(404);
    const r4 = await recordOf(nowhere.headers.get("x-litellm-call-id"));
    expect(r4).toMatchObject({ call_type: "unknown", http_status: 404, error_code: "not_found" });

    const deleted = await post(`${h.url}/key/delete`, { keys: ["sk-chosen-secret-1234"] }, h.auth);
    expect(deleted.status).toBe(200);
    expect((await recordOf(deleted.headers.get("x-litellm-call-id"))).call_type).toBe("POST /key/delete");

    // successful reads and probes: an answer with a call id, no record
    await h.built.spendLog?.flush();
    const before = (await h.store.spend.find({}, 1000, 0)).total;
    for (const [path, headers] of [
      ["/v1/models", h.auth],
      ["/key/list", h.auth],
      ["/spend/logs", h.auth],
      ["/health/liveliness", {}],
    ] as const) {
      const r = await get(`${h.url}${path}`, headers);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-call-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    await h.built.spendLog?.flush();
    expect((await h.store.spend.find({}, 1000, 0)).total).toBe(before);
  });
});
