import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAdapter, sqliteAdapter } from "../../test/store-adapters.js";
import type { AccessStore, InternalUser, NewKey, Team, VirtualKey } from "./access-types.js";
import { openStore, type Store } from "./customers.js";

/** The key/team/user part of the store contract: every method, unchanged, on SQLite and Postgres. */
const budget = {
  spend: 0,
  max_budget: null,
  budget_duration: null,
  budget_reset_at: null,
  tpm_limit: null,
  rpm_limit: null,
};

function keyOf(token: string, over: Partial<VirtualKey> = {}): NewKey {
  return {
    ...budget,
    token,
    key_name: `sk-...${token.slice(-4)}`,
    key_alias: null,
    user_id: null,
    team_id: null,
    models: [],
    aliases: {},
    metadata: {},
    blocked: false,
    expires: null,
    max_parallel_requests: null,
    allowed_model_region: null,
    ...over,
  };
}

function teamOf(id: string, over: Partial<Team> = {}): Omit<Team, "created_at" | "updated_at"> {
  return {
    ...budget,
    team_id: id,
    team_alias: null,
    models: [],
    metadata: {},
    blocked: false,
    max_parallel_requests: null,
    allowed_model_region: null,
    ...over,
  };
}

function userOf(
  id: string,
  over: Partial<InternalUser> = {},
): Omit<InternalUser, "created_at" | "updated_at"> {
  return {
    ...budget,
    user_id: id,
    user_email: null,
    user_alias: null,
    user_role: "internal_user",
    models: [],
    metadata: {},
    ...over,
  };
}

for (const make of [sqliteAdapter, postgresAdapter]) {
  const adapter = make();
  describe(`access store contract: ${adapter.name}`, () => {
    let store: Store;
    let a: AccessStore;
    beforeAll(async () => {
      store = await openStore(adapter.fresh());
      a = store.access;
    });
    afterAll(async () => {
      await store.close();
      await adapter.cleanup();
    });

    it("keys: create, read back by token and alias, JSON and booleans round-trip", async () => {
      const k = await a.createKey(
        keyOf("t1", {
          key_alias: "alias-1",
          models: ["gpt-4o", "openai/*"],
          aliases: { small: "gpt-4o" },
          metadata: { team: "x", n: 1 },
          blocked: true,
          max_budget: 2.5,
          rpm_limit: 10,
          allowed_model_region: "eu",
        }),
      );
      expect(k).toMatchObject({
        token: "t1",
        models: ["gpt-4o", "openai/*"],
        blocked: true,
        max_budget: 2.5,
      });
      expect(await a.getKey("t1")).toEqual(k);
      expect(await a.getKeyByAlias("alias-1")).toEqual(k);
      expect(await a.getKey("nope")).toBeUndefined();
    });

    it("keys: a duplicate alias is refused on create and update, and nothing is written", async () => {
      expect(await a.createKey(keyOf("t2", { key_alias: "alias-1" }))).toBe("alias_exists");
      expect(await a.getKey("t2")).toBeUndefined();
      await a.createKey(keyOf("t3", { key_alias: "alias-3" }));
      expect(await a.updateKey("t3", { key_alias: "alias-1" })).toBe("alias_exists");
      expect((await a.getKey("t3"))?.key_alias).toBe("alias-3");
    });

    it("keys: update, replace token, delete all-or-nothing", async () => {
      const u = await a.updateKey("t3", { blocked: true, models: ["m"], metadata: { a: 1 } });
      expect(u).toMatchObject({ blocked: true, models: ["m"], metadata: { a: 1 } });
      expect(await a.updateKey("missing", { blocked: true })).toBeUndefined();
      const r = await a.replaceToken("t3", "t3b", "sk-...t3bb", { blocked: false });
      expect(r).toMatchObject({ token: "t3b", key_name: "sk-...t3bb", key_alias: "alias-3", blocked: false });
      expect(await a.getKey("t3")).toBeUndefined();
      expect(await a.deleteKeys(["t3b", "missing"])).toEqual({ deleted: [], missing: ["missing"] });
      expect(await a.getKey("t3b")).toBeDefined();
      expect(await a.deleteKeys(["t3b"])).toEqual({ deleted: ["t3b"], missing: [] });
      expect(await a.getKey("t3b")).toBeUndefined();
    });

    it("keys: list filters and pages with a total", async () => {
      for (let i = 0; i < 5; i++)
        await a.createKey(keyOf(`L${i}`, { team_id: "team-L", user_id: i % 2 ? "u1" : "u2" }));
      const page = await a.listKeys({ teamId: "team-L", limit: 2, offset: 2 });
      expect(page.total).toBe(5);
      expect(page.keys.map((k) => k.token)).toEqual(["L2", "L3"]);
      expect((await a.listKeys({ userId: "u1", limit: 10, offset: 0 })).total).toBe(2);
      expect(
        (await a.listKeys({ keyAlias: "alias-1", limit: 10, offset: 0 })).keys.map((k) => k.token),
      ).toEqual(["t1"]);
    });

    it("teams: create with members, refuse a duplicate id, update, membership", async () => {
      const t = await a.createTeam(teamOf("team-a", { models: ["gpt-4o"], max_budget: 10 }), [
        { user_id: "u1", role: "admin" },
      ]);
      expect(t).toMatchObject({ team_id: "team-a", models: ["gpt-4o"], max_budget: 10, blocked: false });
      expect(await a.createTeam(teamOf("team-a"), [])).toBeUndefined();
      expect(await a.updateTeam("team-a", { blocked: true, rpm_limit: 5 })).toMatchObject({
        blocked: true,
        rpm_limit: 5,
      });
      expect(await a.updateTeam("nope", { blocked: true })).toBeUndefined();
      expect(
        await a.setMembers(
          "team-a",
          [
            { user_id: "u2", role: "user" },
            { user_id: "u1", role: "user" },
          ],
          [],
        ),
      ).toEqual([
        { user_id: "u1", role: "user" },
        { user_id: "u2", role: "user" },
      ]);
      expect(await a.setMembers("team-a", [], ["u1"])).toEqual([{ user_id: "u2", role: "user" }]);
      expect(await a.setMembers("nope", [], [])).toBeUndefined();
      expect(await a.teamsOf("u2")).toEqual(["team-a"]);
      expect((await a.listTeams({ userId: "u2", limit: 10, offset: 0 })).map((x) => x.team_id)).toEqual([
        "team-a",
      ]);
      expect((await a.listTeams({ limit: 10, offset: 0 })).length).toBe(1);
    });

    it("teams: delete takes the team's keys and memberships, all or nothing", async () => {
      await a.createTeam(teamOf("team-d"), [{ user_id: "u9", role: "user" }]);
      await a.createKey(keyOf("kd", { team_id: "team-d" }));
      expect(await a.deleteTeams(["team-d", "nope"])).toMatchObject({ deleted: [], missing: ["nope"] });
      expect(await a.getKey("kd")).toBeDefined();
      expect(await a.deleteTeams(["team-d"])).toEqual({ deleted: ["team-d"], missing: [], keys: ["kd"] });
      expect(await a.getKey("kd")).toBeUndefined();
      expect(await a.teamsOf("u9")).toEqual([]);
    });

    it("users: create, refuse duplicate, update, list, delete with their keys", async () => {
      const u = await a.createUser(userOf("user-1", { max_budget: 3, models: ["a"] }));
      expect(u).toMatchObject({
        user_id: "user-1",
        max_budget: 3,
        models: ["a"],
        user_role: "internal_user",
      });
      expect(await a.createUser(userOf("user-1"))).toBeUndefined();
      expect(await a.updateUser("user-1", { user_email: "x@y" })).toMatchObject({ user_email: "x@y" });
      expect(await a.getUser("user-1")).toMatchObject({ user_email: "x@y" });
      expect((await a.listUsers({ limit: 10, offset: 0 })).total).toBe(1);
      await a.createKey(keyOf("ku", { user_id: "user-1" }));
      expect(await a.deleteUsers(["user-1"])).toEqual({ deleted: ["user-1"], missing: [], keys: ["ku"] });
      expect(await a.getUser("user-1")).toBeUndefined();
      expect(await a.getKey("ku")).toBeUndefined();
    });

    it("spend: deltas add up per row in one batch, on every kind", async () => {
      await a.createKey(keyOf("ks"));
      await a.createTeam(teamOf("team-s"), []);
      await a.createUser(userOf("user-s"));
      await store.createCustomer("cust-s", {});
      await a.addSpend([
        { kind: "key", id: "ks", amount: 0.25 },
        { kind: "key", id: "ks", amount: 0.5 },
        { kind: "team", id: "team-s", amount: 1 },
        { kind: "user", id: "user-s", amount: 2 },
        { kind: "customer", id: "cust-s", amount: 3 },
        { kind: "key", id: "gone", amount: 9 },
      ]);
      expect((await a.getKey("ks"))?.spend).toBeCloseTo(0.75);
      expect((await a.getTeam("team-s"))?.spend).toBe(1);
      expect((await a.getUser("user-s"))?.spend).toBe(2);
      expect((await store.getCustomer("cust-s"))?.spend).toBe(3);
    });

    it("budget reset: due rows go to 0 once, with the next reset time; others are untouched", async () => {
      await a.createKey(
        keyOf("kr", { spend: 5, budget_duration: "1d", budget_reset_at: "2020-01-01T00:00:00.000Z" }),
      );
      await a.createKey(
        keyOf("kf", { spend: 5, budget_duration: "1d", budget_reset_at: "2999-01-01T00:00:00.000Z" }),
      );
      const now = "2026-01-01T00:00:00.000Z";
      const next = () => "2026-01-02T00:00:00.000Z";
      const [first, second] = await Promise.all([a.resetBudgets(now, next), a.resetBudgets(now, next)]);
      expect([...first, ...second].filter((r) => r.id === "kr")).toEqual([{ kind: "key", id: "kr" }]);
      expect(await a.getKey("kr")).toMatchObject({ spend: 0, budget_reset_at: "2026-01-02T00:00:00.000Z" });
      expect((await a.getKey("kf"))?.spend).toBe(5);
    });
  });
}
