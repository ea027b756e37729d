import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "./customers.js";
import { type SpendDb, type SpendFilter, SpendLogStore } from "./spend-logs.js";

// The key, team and end-user indexes are partial (rows that have one): a filter must still use them.
describe("spend log filters and their partial indexes (SQLite)", () => {
  const dir = mkdtempSync(join(tmpdir(), "meridian-spend-idx-"));
  const file = join(dir, "m.db");
  let raw: Database.Database;
  let store: SpendLogStore;
  let db: Kysely<SpendDb>;
  const queries: { sql: string; parameters: readonly unknown[] }[] = [];

  beforeAll(async () => {
    await (await openStore(`sqlite:${file}`)).close();
    raw = new Database(file);
    db = new Kysely<SpendDb>({
      dialect: new SqliteDialect({ database: raw }),
      log: (e) => {
        if (e.level === "query") queries.push({ sql: e.query.sql, parameters: e.query.parameters });
      },
    });
    store = new SpendLogStore(db, raw);
  });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const planOf = async (f: SpendFilter): Promise<string> => {
    queries.length = 0;
    await store.find(f, 10, 0);
    const page = queries.find((q) => q.sql.includes("limit"));
    if (!page) throw new Error("no page query seen");
    const rows = raw.prepare(`explain query plan ${page.sql}`).all(...(page.parameters as unknown[]));
    return (rows as { detail: string }[]).map((r) => r.detail).join("; ");
  };

  it("uses each partial index for its filter", async () => {
    expect(await planOf({ apiKey: "a".repeat(64) })).toContain("spend_logs_api_key_idx");
    expect(await planOf({ teamId: "t1" })).toContain("spend_logs_team_id_idx");
    expect(await planOf({ endUser: "c1" })).toContain("spend_logs_end_user_idx");
    // the call id is the key (migration 090): its own index, no second one
    expect(await planOf({ requestId: "r1" })).toMatch(
      /USING INDEX sqlite_autoindex_spend_logs_\d \(request_id=\?\)/,
    );
    expect(await planOf({ from: "2026-12-01T00:00:00.000Z" })).toContain("spend_logs_start_time_idx");
  });

  it("finds master-key rows (api_key '') without the key index, and rows by key with it", async () => {
    const base = {
      instance_id: "i",
      prev_hash: "",
      hash: "",
      call_type: "chat",
      policy: "{}",
      attempts: "[]",
    };
    const row = (seq: number, api_key: string, team_id: string | null) => ({
      ...base,
      seq,
      request_id: `r${seq}`,
      api_key,
      team_id,
      start_time: "2026-12-03T00:00:00.000Z",
      end_time: "2026-12-03T00:00:00.000Z",
      status: "success",
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      http_status: 200,
      cache_hit: 0,
      spend: 0,
    });
    await db
      .insertInto("spend_logs")
      .values([row(1, "", null), row(2, "k2", "t1"), row(3, "k3", null)] as never)
      .execute();
    const ids = async (f: SpendFilter) => (await store.find(f, 10, 0)).rows.map((r) => r.request_id).sort();
    expect(await ids({ apiKey: "" })).toEqual(["r1"]);
    expect(await ids({ apiKey: "k2" })).toEqual(["r2"]);
    expect(await ids({ teamId: "t1" })).toEqual(["r2"]);
    const indexes = raw
      .prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = 'spend_logs'")
      .all() as { name: string; sql: string | null }[];
    expect(indexes.find((i) => i.name === "spend_logs_api_key_idx")?.sql).toMatch(/where api_key <> ''/i);
  });
});
