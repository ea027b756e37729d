import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";

const chatBody = { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] };
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

/** /team/* and /user/* over HTTP (SQLite): shapes, membership, block, delete cascades, bad input. */
describe("teams and internal users over HTTP", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  });
  afterAll(async () => h.close());

  it("team lifecycle: new, members, info, list, block (its keys 401), delete (its keys gone)", async () => {
    const t = await post(
      `${h.url}/team/new`,
      { team_alias: "Platform", members_with_roles: [{ user_id: "alice", role: "admin" }], rpm_limit: 50 },
      h.auth,
    );
    expect(t.status).toBe(200);
    const id: string = t.json.team_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.json).toMatchObject({
      team_alias: "Platform",
      rpm_limit: 50,
      members_with_roles: [{ user_id: "alice", role: "admin" }],
    });
    const added = await post(
      `${h.url}/team/member_add`,
      { team_id: id, member: [{ user_id: "bob" }] },
      h.auth,
    );
    expect(added.json.members_with_roles).toEqual([
      { user_id: "alice", role: "admin" },
      { user_id: "bob", role: "user" },
    ]);
    const removed = await post(`${h.url}/team/member_delete`, { team_id: id, user_id: "alice" }, h.auth);
    expect(removed.json.members_with_roles).toEqual([{ user_id: "bob", role: "user" }]);
    // members become internal users, and list their teams
    expect((await get(`${h.url}/user/info?user_id=bob`, h.auth)).json.teams).toEqual([id]);
    const key = (await post(`${h.url}/key/generate`, { team_id: id }, h.auth)).json.key;
    const info = await get(`${h.url}/team/info?team_id=${id}`, h.auth);
    expect(info.json.team_info).toMatchObject({ team_id: id, team_alias: "Platform" });
    expect(info.json.keys).toHaveLength(1);
    expect(
      (await get(`${h.url}/team/list?user_id=bob`, h.auth)).json.map((x: { team_id: string }) => x.team_id),
    ).toEqual([id]);
    expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(200);
    await post(`${h.url}/team/block`, { team_id: id }, h.auth);
    const blocked = await post(`${h.url}/chat/completions`, chatBody, bearer(key));
    expect(blocked.status).toBe(401);
    expect(blocked.json.error.code).toBe("team_blocked");
    await post(`${h.url}/team/unblock`, { team_id: id }, h.auth);
    expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(200);
    expect((await post(`${h.url}/team/delete`, { team_ids: [id] }, h.auth)).json).toEqual({
      deleted_teams: [id],
    });
    expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(401);
    expect((await get(`${h.url}/team/info?team_id=${id}`, h.auth)).status).toBe(404);
  });

  it("team bad input: duplicate id, negative budget, bad duration, unknown region, missing team", async () => {
    expect((await post(`${h.url}/team/new`, { team_id: "dup" }, h.auth)).status).toBe(200);
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ["/team/new", { team_id: "dup" }, 400, "team_id"],
      ["/team/new", { max_budget: -5 }, 400, "max_budget"],
      ["/team/new", { budget_duration: "30x" }, 400, "budget_duration"],
      ["/team/new", { allowed_model_region: "atlantis" }, 400, "allowed_model_region"],
      ["/team/update", { team_id: "nope", rpm_limit: 1 }, 404, "team_id"],
      ["/team/member_add", { team_id: "dup", member: { user_id: "" } }, 400, "member.user_id"],
    ];
    for (const [path, body, status, param] of cases) {
      const r = await post(`${h.url}${path}`, body, h.auth);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(r.json.error.param, `${path} ${JSON.stringify(body)}`).toBe(param);
    }
  });

  it("users: /user/new returns a key for the user; update, list, delete (their keys stop)", async () => {
    const u = await post(
      `${h.url}/user/new`,
      { user_id: "carol", user_email: "c@example.com", max_budget: 5 },
      h.auth,
    );
    expect(u.status).toBe(200);
    expect(u.json).toMatchObject({
      user_id: "carol",
      user_email: "c@example.com",
      max_budget: 5,
      user_role: "internal_user",
    });
    expect(u.json.key).toMatch(/^sk-/);
    expect((await post(`${h.url}/chat/completions`, chatBody, bearer(u.json.key))).status).toBe(200);
    expect((await post(`${h.url}/user/new`, { user_id: "carol" }, h.auth)).status).toBe(400);
    const upd = await post(`${h.url}/user/update`, { user_id: "carol", user_alias: "C" }, h.auth);
    expect(upd.json).toMatchObject({ user_alias: "C", user_email: "c@example.com" });
    const list = await get(`${h.url}/user/list?page=1&page_size=100`, h.auth);
    expect(list.json.users.map((x: { user_id: string }) => x.user_id)).toContain("carol");
    expect(list.json).toMatchObject({ page: 1, page_size: 100 });
    const info = await get(`${h.url}/user/info?user_id=carol`, h.auth);
    expect(info.json.keys).toHaveLength(1);
    expect((await post(`${h.url}/user/delete`, { user_ids: ["carol"] }, h.auth)).json).toEqual({
      deleted_users: ["carol"],
    });
    expect((await post(`${h.url}/chat/completions`, chatBody, bearer(u.json.key))).status).toBe(401);
    expect((await get(`${h.url}/user/info?user_id=carol`, h.auth)).status).toBe(404);
  });
});
