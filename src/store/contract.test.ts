import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleRecord } from "../../test/spend-fixtures.js";
import { type ChainHead, GENESIS, link } from "../audit/chain.js";
import { verifySpendLog } from "../audit/verify.js";
import { openStore, type Store } from "./customers.js";

/**
 * One behaviour suite, run unchanged against every store. Each run gets its own fresh place:
 * a temp SQLite file, or a fresh Postgres schema that is dropped afterwards.
 */
export const PG_BASE = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

interface Adapter {
  name: string;
  /** A URL for a fresh, empty store. */
  fresh(): string;
  cleanup(): Promise<void>;
}

function sqliteAdapter(): Adapter {
  const dir = mkdtempSync(join(tmpdir(), "meridian-store-"));
  return {
    name: "sqlite",
    fresh: () => `sqlite:${join(dir, `s-${randomBytes(4).toString("hex")}.db`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresAdapter(): Adapter {
  const schemas: string[] = [];
  return {
    name: "postgres",
    fresh() {
      const s = `meridian_test_${randomBytes(6).toString("hex")}`;
      schemas.push(s);
      return `${PG_BASE}?schema=${s}`;
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      try {
        for (const s of schemas) await c.query(`drop schema if exists "${s}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

for (const make of [sqliteAdapter, postgresAdapter]) {
  const adapter = make();
  describe(`store contract: ${adapter.name}`, () => {
    let store: Store;
    let url: string;
    beforeAll(async () => {
      url = adapter.fresh();
      store = await openStore(url);
    });
    afterAll(async () => {
      await store.close();
      await adapter.cleanup();
    });

    it("reports its kind and answers ping", async () => {
      expect(store.kind).toBe(adapter.name);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("creates with defaults and refuses a duplicate without changing the first", async () => {
      const c = await store.createCustomer("c-create", { alias: "first" });
      expect(c).toMatchObject({
        user_id: "c-create",
        alias: "first",
        allowed_model_region: null,
        default_model: null,
        blocked: false,
        spend: 0,
        max_budget: null,
        budget_id: null,
        metadata: null,
      });
      expect(Number.isNaN(Date.parse(c!.created_at))).toBe(false);
      expect(await store.createCustomer("c-create", { alias: "second" })).toBeUndefined();
      expect((await store.getCustomer("c-create"))?.alias).toBe("first");
    });

    it("gets undefined for an unknown id", async () => {
      expect(await store.getCustomer("nobody-here")).toBeUndefined();
    });

    it("creates with every field set", async () => {
      const c = await store.createCustomer("c-full", {
        alias: "Full",
        allowed_model_region: "eu",
        default_model: "gpt-4o",
        blocked: true,
        max_budget: 12.5,
        budget_id: "b1",
        metadata: { team: "x" },
      });
      expect(c).toMatchObject({
        allowed_model_region: "eu",
        default_model: "gpt-4o",
        blocked: true,
        max_budget: 12.5,
        budget_id: "b1",
        metadata: { team: "x" },
      });
      expect(await store.getCustomer("c-full")).toEqual(c);
    });

    it("updates only the given fields, clears the region to null and unblocks", async () => {
      await store.createCustomer("c-upd", { alias: "a", allowed_model_region: "eu", blocked: true });
      const u1 = await store.updateCustomer("c-upd", { allowed_model_region: "us" });
      expect(u1).toMatchObject({ alias: "a", allowed_model_region: "us", blocked: true });
      const u2 = await store.updateCustomer("c-upd", { allowed_model_region: null, blocked: false });
      expect(u2).toMatchObject({ alias: "a", allowed_model_region: null, blocked: false });
      expect(await store.getCustomer("c-upd")).toMatchObject({ allowed_model_region: null, blocked: false });
      expect(u2!.updated_at >= u2!.created_at).toBe(true);
    });

    it("update of an unknown id is undefined and creates nothing", async () => {
      expect(await store.updateCustomer("c-ghost", { alias: "x" })).toBeUndefined();
      expect(await store.getCustomer("c-ghost")).toBeUndefined();
    });

    it("round-trips metadata JSON (nested, unicode, numbers) and clears it", async () => {
      const metadata = { nested: { list: [1, 2.5, "three", null, true] }, "ü-key": "日本語 ✓", n: -0.125 };
      await store.createCustomer("c-meta", { metadata });
      expect((await store.getCustomer("c-meta"))?.metadata).toEqual(metadata);
      await store.updateCustomer("c-meta", { metadata: null });
      expect((await store.getCustomer("c-meta"))?.metadata).toBeNull();
    });

    it("deletes all or nothing", async () => {
      await store.createCustomer("d1", {});
      await store.createCustomer("d2", {});
      expect(await store.deleteCustomers(["d1", "d-missing", "d2"])).toEqual({
        deleted: 0,
        missing: ["d-missing"],
      });
      expect(await store.getCustomer("d1")).toBeDefined();
      expect(await store.getCustomer("d2")).toBeDefined();
      expect(await store.deleteCustomers(["d1", "d2", "d1"])).toEqual({ deleted: 2, missing: [] });
      expect(await store.getCustomer("d1")).toBeUndefined();
      expect(await store.getCustomer("d2")).toBeUndefined();
    });

    it("blocks and unblocks all or nothing", async () => {
      await store.createCustomer("b1", {});
      await store.createCustomer("b2", {});
      expect(await store.setBlocked(["b1", "b-missing"], true)).toEqual({
        updated: 0,
        missing: ["b-missing"],
      });
      expect((await store.getCustomer("b1"))?.blocked).toBe(false);
      expect(await store.setBlocked(["b1", "b2"], true)).toEqual({ updated: 2, missing: [] });
      expect((await store.getCustomer("b2"))?.blocked).toBe(true);
      expect(await store.setBlocked(["b2"], false)).toEqual({ updated: 1, missing: [] });
      expect((await store.getCustomer("b2"))?.blocked).toBe(false);
      expect((await store.getCustomer("b1"))?.blocked).toBe(true);
    });

    it("lists in a stable order with limit/offset pagination covering every row once", async () => {
      const other = await openStore(adapter.fresh());
      try {
        const ids = Array.from({ length: 7 }, (_, i) => `p${i}`);
        for (const id of ids) await other.createCustomer(id, {});
        const seen: string[] = [];
        for (let offset = 0; ; offset += 3) {
          const page = await other.listCustomers({ limit: 3, offset });
          expect(page.length).toBeLessThanOrEqual(3);
          seen.push(...page.map((c) => c.user_id));
          if (page.length < 3) break;
        }
        expect([...seen].sort()).toEqual(ids);
        expect(new Set(seen).size).toBe(ids.length);
        expect(await other.listCustomers({ limit: 10, offset: 100 })).toEqual([]);
        const again = (await other.listCustomers({ limit: 100, offset: 0 })).map((c) => c.user_id);
        expect(again).toEqual(seen);
      } finally {
        await other.close();
      }
    });

    it("keeps data across close and reopen, and migrations are idempotent", async () => {
      const where = adapter.fresh();
      const first = await openStore(where);
      await first.createCustomer("durable", { allowed_model_region: "eu", metadata: { k: 1 } });
      await first.close();
      const second = await openStore(where);
      try {
        expect(await second.getCustomer("durable")).toMatchObject({
          allowed_model_region: "eu",
          metadata: { k: 1 },
        });
      } finally {
        await second.close();
      }
    });

    it("fails with an error (not a wrong answer) once closed", async () => {
      const s = await openStore(adapter.fresh());
      await s.close();
      await expect(s.getCustomer("x")).rejects.toThrow();
    });

    it("spend log: registers a chain once and continues it from its stored head", async () => {
      const s = await openStore(adapter.fresh());
      try {
        const head = await s.spend.registerChain("inst-a");
        expect(head).toEqual({ instance_id: "inst-a", seq: 0, hash: GENESIS });
        const recs = [link(head, sampleRecord()), link(head, sampleRecord())];
        expect(await s.spend.insert(recs)).toBe(2);
        expect(await s.spend.registerChain("inst-a")).toEqual({
          instance_id: "inst-a",
          seq: 2,
          hash: recs[1].hash,
        });
      } finally {
        await s.close();
      }
    });

    it("spend log: rows round-trip exactly (the chain verifies), spend lands on the customer once", async () => {
      const s = await openStore(adapter.fresh());
      try {
        await s.createCustomer("cust-eu", {});
        const head: ChainHead = await s.spend.registerChain("inst-b");
        const odd = sampleRecord({
          spend: 0.1 + 0.2,
          messages: JSON.stringify([{ role: "user", content: "héllo ✓ \u2028" }]),
          completion_start_time: "2026-12-01T10:00:00.100Z",
          team_id: "t1",
          user: "u1",
          api_key: "ab".repeat(32),
        });
        const batch = [
          link(head, odd),
          link(head, sampleRecord({ spend: 1e-9 })),
          link(head, sampleRecord({ end_user: "nobody" })),
        ];
        expect(await s.spend.insert(batch)).toBe(3);
        // a replay of the same batch (its first write's answer lost) adds nothing and no spend twice
        expect(await s.spend.insert(batch)).toBe(0);
        // a spill file's replay: stored records and a new one in one batch; only the new one counts
        const late = link(head, sampleRecord({ spend: 2 }));
        expect(await s.spend.insert([...batch, late])).toBe(1);
        const c = await s.getCustomer("cust-eu");
        expect(c?.spend).toBeCloseTo(0.1 + 0.2 + 1e-9 + 2, 12);
        const { rows, total } = await s.spend.find({ requestId: odd.request_id }, 10, 0);
        expect(total).toBe(1);
        expect(rows[0]).toEqual(batch[0]);
        const report = await verifySpendLog(s.spend);
        expect(report).toMatchObject({ ok: true, records: 4 });
      } finally {
        await s.close();
      }
    });

    it("spend log: a record's spend lands on its key, team, user and customer with it, once", async () => {
      const s = await openStore(adapter.fresh());
      try {
        const budget = {
          spend: 0,
          max_budget: null,
          budget_duration: null,
          budget_reset_at: null,
          tpm_limit: null,
          rpm_limit: null,
        };
        const common = { models: [], metadata: {}, ...budget };
        await s.access.createTeam(
          {
            ...common,
            team_id: "t-s",
            team_alias: null,
            blocked: false,
            max_parallel_requests: null,
            allowed_model_region: null,
          },
          [],
        );
        await s.access.createUser({
          ...common,
          user_id: "u-s",
          user_email: null,
          user_alias: null,
          user_role: "internal_user",
        });
        const token = "ab".repeat(32);
        await s.access.createKey({
          ...common,
          token,
          key_name: "sk-...abab",
          key_alias: null,
          user_id: "u-s",
          team_id: "t-s",
          aliases: {},
          blocked: false,
          expires: null,
          max_parallel_requests: null,
          allowed_model_region: null,
        });
        await s.createCustomer("c-s", {});
        const head = await s.spend.registerChain("inst-s");
        const who = { api_key: token, team_id: "t-s", user: "u-s", end_user: "c-s" };
        const batch = [
          link(head, sampleRecord({ ...who, spend: 0.25 })),
          link(head, sampleRecord({ ...who, spend: 0.5 })),
        ];
        await s.spend.insert(batch);
        await s.spend.insert(batch);
        expect((await s.access.getKey(token))?.spend).toBeCloseTo(0.75, 12);
        expect((await s.access.getTeam("t-s"))?.spend).toBeCloseTo(0.75, 12);
        expect((await s.access.getUser("u-s"))?.spend).toBeCloseTo(0.75, 12);
        expect((await s.getCustomer("c-s"))?.spend).toBeCloseTo(0.75, 12);
      } finally {
        await s.close();
      }
    });

    it("spend log: filters, newest first, pages cover every row once; range pages in time order", async () => {
      const s = await openStore(adapter.fresh());
      try {
        const head = await s.spend.registerChain("inst-c");
        const recs = Array.from({ length: 9 }, (_, i) =>
          link(
            head,
            sampleRecord({
              start_time: `2026-12-0${1 + (i % 3)}T10:00:0${i}.000Z`,
              geography: i % 2 ? "us" : "eu",
              status: i === 4 ? "failure" : "success",
              end_user: i < 3 ? "a" : "b",
            }),
          ),
        );
        await s.spend.insert(recs);
        expect((await s.spend.find({ geography: "us" }, 100, 0)).total).toBe(4);
        expect((await s.spend.find({ status: "failure" }, 100, 0)).rows.map((r) => r.seq)).toEqual([5]);
        expect((await s.spend.find({ endUser: "a", geography: "eu" }, 100, 0)).total).toBe(2);
        const day2 = await s.spend.find(
          { from: "2026-12-02T00:00:00.000Z", to: "2026-12-03T00:00:00.000Z" },
          100,
          0,
        );
        expect(day2.rows.map((r) => r.seq).sort()).toEqual([2, 5, 8]);
        const seen: number[] = [];
        for (let off = 0; off < 20; off += 4)
          seen.push(...(await s.spend.find({}, 4, off)).rows.map((r) => r.seq));
        expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const first = (await s.spend.find({}, 1, 0)).rows[0];
        expect(first.start_time).toBe("2026-12-03T10:00:08.000Z");
        const ranged: string[] = [];
        for await (const r of s.spend.range(undefined, undefined, 2)) ranged.push(r.start_time);
        expect(ranged).toEqual([...ranged].sort());
        expect(ranged.length).toBe(9);
      } finally {
        await s.close();
      }
    });
  });
}
