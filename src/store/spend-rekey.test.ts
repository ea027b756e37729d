import type { Kysely } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { postgresAdapter, sqliteAdapter } from "../../test/store-adapters.js";
import { link } from "../audit/chain.js";
import { buildRecord, type RecordInput } from "../audit/record.js";
import { verifySpendLog } from "../audit/verify.js";
import { openStore } from "./customers.js";
import { openDb } from "./db.js";
import { migrator, sql } from "./migrations.js";

/** Migration 090: the call id becomes the spend log's key, on a log that has records already. */
const adapters = [sqliteAdapter(), postgresAdapter()];
afterAll(async () => {
  for (const a of adapters) await a.cleanup();
});

const input = (n: number): RecordInput => ({
  callId: `call-${n}-${Math.random().toString(36).slice(2)}`,
  op: "chat",
  who: {},
  model: "gpt-4o",
  group: "gpt-4o",
  policy: { key: "*", allowed: null, sources: [] } as unknown as RecordInput["policy"],
  deployment: undefined,
  attempts: [],
  usage: { prompt: n, completion: 1, total: n + 1 },
  cost: 0,
  startMs: Date.now() - 5,
  endMs: Date.now(),
  firstChunkMs: undefined,
  httpStatus: 200,
  error: undefined,
  stream: undefined,
});

describe.each(adapters)("the spend log keyed by call id on $name", (a) => {
  it("keeps the records of the old layout through the migration down and up, and they verify", async () => {
    const url = a.fresh();
    let store = await openStore(url);
    const head = await store.spend.registerChain("chain-a");
    const records = [1, 2, 3].map((n) => link(head, buildRecord(input(n))));
    expect(await store.spend.insert(records)).toBe(3);
    await store.close();

    // back to (instance_id, seq) as the key, then forward again as an upgrade would run it
    const raw = await openDb(url);
    const db = raw.db as unknown as Kysely<unknown>;
    const down = await migrator(db, raw.schema).migrateDown();
    expect(down.error).toBeUndefined();
    expect(down.results?.[0]).toMatchObject({
      migrationName: "090_spend_logs_request_id_key",
      direction: "Down",
    });
    await db.destroy();

    store = await openStore(url);
    try {
      const { rows, total } = await store.spend.find({}, 10, 0);
      expect(total).toBe(3);
      expect(rows.map((r) => r.request_id).sort()).toEqual(records.map((r) => r.request_id).sort());
      expect((await verifySpendLog(store.spend)).problems).toEqual([]);
      // a replayed record (same call id) adds nothing; the key is the call id
      expect(await store.spend.insert([records[1]])).toBe(0);
      expect((await store.spend.find({ requestId: records[1].request_id }, 10, 0)).total).toBe(1);
    } finally {
      await store.close();
    }

    const again = await openDb(url);
    try {
      const copy = { ...records[0], seq: 99 };
      const cols = Object.keys(copy);
      const insert = (r: Record<string, unknown>) =>
        sql`insert into spend_logs (${sql.join(cols.map((c) => sql.id(c)))}) values (${sql.join(cols.map((c) => r[c]))})`.execute(
          again.db,
        );
      await expect(insert(copy)).rejects.toThrow(/unique|duplicate|constraint/i);
      // the same place in the chain under another call id is now only what verify reports
      await insert({ ...records[0], request_id: `${records[0].request_id}-forged` });
    } finally {
      await again.db.destroy();
    }
    store = await openStore(url);
    try {
      const report = await verifySpendLog(store.spend);
      expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([["inserted", 1]]);
    } finally {
      await store.close();
    }
  });
});
