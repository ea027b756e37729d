import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";

/** LiteLLM's /end_user/* behaviour (test_end_users / test_customer_endpoints), plus what Meridian adds. */
describe("end user admin API", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  });
  afterAll(async () => h.close());

  const admin = (path: string, body: unknown) => post(`${h.url}${path}`, body, h.auth);

  it("creates, reads, rejects duplicates", async () => {
    const r = await admin("/end_user/new", {
      user_id: "c-1",
      alias: "Acme",
      allowed_model_region: "eu",
      metadata: { tier: "gold" },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      user_id: "c-1",
      alias: "Acme",
      allowed_model_region: "eu",
      blocked: false,
      spend: 0,
      metadata: { tier: "gold" },
    });
    const dup = await admin("/end_user/new", { user_id: "c-1" });
    expect(dup.status).toBe(400);
    expect(dup.json.error.code).toBe("customer_exists");
    const info = await get(`${h.url}/end_user/info?end_user_id=c-1`, h.auth);
    expect(info.status).toBe(200);
    expect(info.json.alias).toBe("Acme");
    const viaCustomer = await get(`${h.url}/customer/info?end_user_id=c-1`, h.auth);
    expect(viaCustomer.json.user_id).toBe("c-1");
  });

  it("unknown customers are 404 on info, update, delete, block", async () => {
    const info = await get(`${h.url}/end_user/info?end_user_id=nobody`, h.auth);
    expect(info.status).toBe(404);
    expect(info.json.error.code).toBe("customer_not_found");
    expect((await admin("/end_user/update", { user_id: "nobody", alias: "x" })).status).toBe(404);
    expect((await admin("/customer/block", { user_ids: ["nobody"] })).status).toBe(404);
    const del = await admin("/end_user/delete", { user_ids: ["nobody"] });
    expect(del.status).toBe(404);
    expect(del.json.error.message).toContain('"nobody"');
  });

  it("update can clear the region and unblock (LiteLLM cannot)", async () => {
    await admin("/end_user/new", { user_id: "c-2", allowed_model_region: "us", blocked: true });
    const u = await admin("/end_user/update", { user_id: "c-2", allowed_model_region: null, blocked: false });
    expect(u.status).toBe(200);
    expect(u.json).toMatchObject({ allowed_model_region: null, blocked: false });
    const again = await get(`${h.url}/end_user/info?end_user_id=c-2`, h.auth);
    expect(again.json).toMatchObject({ allowed_model_region: null, blocked: false });
  });

  it("delete is all or nothing", async () => {
    await admin("/end_user/new", { user_id: "d-1" });
    await admin("/end_user/new", { user_id: "d-2" });
    const partial = await admin("/end_user/delete", { user_ids: ["d-1", "d-missing"] });
    expect(partial.status).toBe(404);
    expect((await get(`${h.url}/end_user/info?end_user_id=d-1`, h.auth)).status).toBe(200);
    const ok = await admin("/end_user/delete", { user_ids: ["d-1", "d-2"] });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ deleted_customers: 2 });
    expect((await get(`${h.url}/end_user/info?end_user_id=d-2`, h.auth)).status).toBe(404);
  });

  it("lists with pagination", async () => {
    for (const id of ["l-1", "l-2", "l-3"]) await admin("/end_user/new", { user_id: id });
    const all = await get(`${h.url}/end_user/list`, h.auth);
    expect(all.status).toBe(200);
    const ids = (all.json as Array<{ user_id: string }>).map((c) => c.user_id);
    expect(ids).toEqual(expect.arrayContaining(["l-1", "l-2", "l-3"]));
    const page = await get(`${h.url}/customer/list?limit=2&offset=0`, h.auth);
    expect(page.json).toHaveLength(2);
    expect((await get(`${h.url}/end_user/list?limit=0`, h.auth)).status).toBe(400);
  });

  it("blocking refuses the customer's requests at once; unblocking restores them", async () => {
    await admin("/end_user/new", { user_id: "b-1", allowed_model_region: "eu" });
    const chat = () =>
      post(
        `${h.url}/chat/completions`,
        { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }], user: "b-1" },
        h.auth,
      );
    expect((await chat()).status).toBe(200);
    const blocked = await admin("/customer/block", { user_ids: ["b-1"] });
    expect(blocked.json).toEqual({ blocked_users: ["b-1"] });
    const refused = await chat();
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("customer_blocked");
    await admin("/customer/unblock", { user_ids: ["b-1"] });
    expect((await chat()).status).toBe(200);
  });

  it("deleting a pinned customer takes effect on the next request", async () => {
    await admin("/end_user/new", { user_id: "gone", allowed_model_region: "eu" });
    const r1 = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-4o-us-only", messages: [{ role: "user", content: "hi" }], user: "gone" },
      h.auth,
    );
    expect(r1.status).toBe(403);
    await admin("/end_user/delete", { user_ids: ["gone"] });
    const r2 = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-4o-us-only", messages: [{ role: "user", content: "hi" }], user: "gone" },
      h.auth,
    );
    expect(r2.status).toBe(200);
  });

  it.each([
    [{ user_id: "x", allowed_model_region: "mars" }, "allowed_model_region", "invalid_region"],
    [{ user_id: "x", allowed_model_region: "westeurope" }, "allowed_model_region", "invalid_region"],
    [{ allowed_model_region: "eu" }, "user_id", "invalid_request"],
    [{ user_id: 42 }, "user_id", "invalid_request"],
    [{ user_id: "" }, "user_id", "invalid_request"],
    [{ user_id: "x", blocked: "yes" }, "blocked", "invalid_request"],
    [{ user_id: "x", max_budget: -1 }, "max_budget", "invalid_request"],
    [{ user_id: "x".repeat(300) }, "user_id", "invalid_request"],
  ])("rejects %j naming %s, storing nothing", async (body, param, code) => {
    const r = await admin("/end_user/new", body);
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe(param);
    expect(r.json.error.code).toBe(code);
    expect((await get(`${h.url}/end_user/info?end_user_id=x`, h.auth)).status).toBe(404);
  });

  it("a missing user_id is named as missing", async () => {
    const r = await admin("/end_user/new", { alias: "x" });
    expect(r.json.error).toMatchObject({
      code: "invalid_request",
      param: "user_id",
      message: "Missing required parameter: user_id.",
    });
  });

  it("rejects non-object bodies and bad id lists", async () => {
    expect((await admin("/end_user/new", "[1,2]")).status).toBe(400);
    expect((await admin("/end_user/new", "{not json")).json.error.code).toBe("invalid_json");
    expect((await admin("/end_user/delete", { user_ids: [] })).json.error.param).toBe("user_ids");
    expect((await admin("/end_user/delete", { user_ids: "c-1" })).json.error.param).toBe("user_ids");
    expect((await get(`${h.url}/end_user/info`, h.auth)).json.error.param).toBe("end_user_id");
  });

  it("requires the master key", async () => {
    const r = await post(`${h.url}/end_user/new`, { user_id: "nope" }, { authorization: "Bearer sk-wrong" });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "invalid_api_key", type: "auth_error" });
    expect((await get(`${h.url}/end_user/list`)).status).toBe(401);
  });
});
