import type SQLite from "better-sqlite3";
import type { Kysely, Transaction } from "kysely";
import { type ChainHead, GENESIS } from "../audit/chain.js";
import type { ChainedRecord } from "../audit/record.js";
import type { SpendDelta } from "./access-types.js";
import { insertPgRows, isSomeStored } from "./pg-spend.js";
import { applySpend } from "./spend.js";
import { SqliteSpendWriter } from "./sqlite-spend.js";

interface ChainRow {
  instance_id: string;
  seq: number;
  hash: string;
  created_at: string;
}

export interface SpendDb {
  spend_logs: ChainedRecord;
  spend_log_chains: ChainRow;
}

/** Filters of GET /spend/logs (all optional; times are ISO strings, `to` exclusive). */
export interface SpendFilter {
  requestId?: string;
  apiKey?: string;
  userId?: string;
  endUser?: string;
  teamId?: string;
  model?: string;
  geography?: string;
  status?: "success" | "failure";
  from?: string;
  to?: string;
}

/** Persistence of the spend log and its chains, over the store's Kysely instance. */
export class SpendLogStore {
  private sqliteWriter: SqliteSpendWriter | undefined;

  constructor(
    private readonly db: Kysely<SpendDb>,
    private readonly sqlite?: SQLite.Database,
  ) {}

  /** The chain's head, registering the chain (seq 0) when it is new. */
  async registerChain(instanceId: string): Promise<ChainHead> {
    await this.db
      .insertInto("spend_log_chains")
      .values({ instance_id: instanceId, seq: 0, hash: GENESIS, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.column("instance_id").doNothing())
      .execute();
    const row = await this.db
      .selectFrom("spend_log_chains")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .executeTakeFirstOrThrow();
    return { instance_id: row.instance_id, seq: Number(row.seq), hash: row.hash };
  }

  /**
   * Insert chained records, moving each chain's head and adding their spend to customers in the
   * same transaction. Records already stored (a replay after a write whose answer was lost) are
   * skipped and add no spend twice. Returns how many were new.
   */
  async insert(records: readonly ChainedRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    if (!this.sqlite) {
      try {
        return await this.db.transaction().execute((tx) => this.write(tx, records, false));
      } catch (err) {
        if (!isSomeStored(err)) throw err;
        return this.db.transaction().execute((tx) => this.write(tx, records, true));
      }
    }
    // SQLite: prepared statements on the connection itself, under Kysely's connection lock so no
    // Kysely transaction is open meanwhile. Building the same insert through Kysely cost ~70 µs of
    // CPU a row; this is a few. sqlite-spend.ts says why the commit skips its fsync.
    const raw = this.sqlite;
    this.sqliteWriter ??= new SqliteSpendWriter(raw);
    const w = this.sqliteWriter;
    return this.db.connection().execute(async () => w.insert(records, spendDeltas));
  }

  private async write(
    tx: Transaction<SpendDb>,
    records: readonly ChainedRecord[],
    skipStored: boolean,
  ): Promise<number> {
    const inserted = await insertPgRows(tx, records, skipStored);
    const heads = new Map<string, ChainedRecord>();
    for (const r of inserted) {
      const h = heads.get(r.instance_id);
      if (!h || r.seq > h.seq) heads.set(r.instance_id, r);
    }
    const now = new Date().toISOString();
    for (const r of heads.values())
      await tx
        .insertInto("spend_log_chains")
        .values({ instance_id: r.instance_id, seq: r.seq, hash: r.hash, created_at: now })
        .onConflict((oc) =>
          oc
            .column("instance_id")
            .doUpdateSet({ seq: r.seq, hash: r.hash })
            .where("spend_log_chains.seq", "<", r.seq),
        )
        .execute();
    // Spend totals of every owner a record names, in this transaction: a record and the spend it
    // adds are stored together or not at all (and a replayed record adds nothing twice).
    await applySpend(tx, spendDeltas(inserted));
    return inserted.length;
  }

  async find(
    f: SpendFilter,
    limit: number,
    offset: number,
  ): Promise<{ rows: ChainedRecord[]; total: number }> {
    const base = this.filtered(f);
    const countRow = await base.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    const rows = await base
      .selectAll()
      .orderBy("start_time", "desc")
      .orderBy("request_id", "desc")
      .limit(limit)
      .offset(offset)
      .execute();
    return { rows: rows.map(numeric), total: Number(countRow?.n ?? 0) };
  }

  /** Records in [from, to) by start time, in pages (keyset: start_time, request_id). */
  async *range(from: string | undefined, to: string | undefined, page = 2000): AsyncGenerator<ChainedRecord> {
    let after: ChainedRecord | undefined;
    for (;;) {
      let q = this.filtered({ from, to }).selectAll();
      if (after) {
        const a = after;
        q = q.where((eb) =>
          eb.or([
            eb("start_time", ">", a.start_time),
            eb.and([eb("start_time", "=", a.start_time), eb("request_id", ">", a.request_id)]),
          ]),
        );
      }
      const rows = await q.orderBy("start_time").orderBy("request_id").limit(page).execute();
      for (const r of rows) yield numeric(r);
      if (rows.length < page) return;
      after = numeric(rows[rows.length - 1]);
    }
  }

  /** Every registered chain's head. */
  async heads(): Promise<ChainHead[]> {
    return (await this.db.selectFrom("spend_log_chains").selectAll().orderBy("instance_id").execute()).map(
      (r) => ({ instance_id: r.instance_id, seq: Number(r.seq), hash: r.hash }),
    );
  }

  /** Every record, in call-id order (the primary key), in pages. */
  async *everything(page = 5000): AsyncGenerator<ChainedRecord> {
    let after: string | undefined;
    for (;;) {
      let q = this.db.selectFrom("spend_logs").selectAll();
      if (after !== undefined) q = q.where("request_id", ">", after);
      const rows = await q.orderBy("request_id").limit(page).execute();
      for (const r of rows) yield numeric(r);
      if (rows.length < page) return;
      after = rows[rows.length - 1].request_id;
    }
  }

  private filtered(f: SpendFilter) {
    let q = this.db.selectFrom("spend_logs");
    if (f.requestId !== undefined) q = q.where("request_id", "=", f.requestId);
    if (f.apiKey !== undefined) q = q.where("api_key", "=", f.apiKey);
    // the key index is partial (api_key <> ''): saying so lets the planner use it
    if (f.apiKey) q = q.where("api_key", "<>", "");
    if (f.userId !== undefined) q = q.where("user", "=", f.userId);
    if (f.endUser !== undefined) q = q.where("end_user", "=", f.endUser);
    if (f.teamId !== undefined) q = q.where("team_id", "=", f.teamId);
    if (f.model !== undefined)
      q = q.where((eb) =>
        eb.or([eb("model", "=", f.model as string), eb("model_group", "=", f.model as string)]),
      );
    if (f.geography !== undefined) q = q.where("geography", "=", f.geography);
    if (f.status !== undefined) q = q.where("status", "=", f.status);
    if (f.from !== undefined) q = q.where("start_time", ">=", f.from);
    if (f.to !== undefined) q = q.where("start_time", "<", f.to);
    return q;
  }
}

/** What the new records add to each owner's spend: key, team, user and customer. */
export function spendDeltas(inserted: readonly ChainedRecord[]): SpendDelta[] {
  const deltas: SpendDelta[] = [];
  for (const r of inserted) {
    if (!(r.spend > 0)) continue;
    if (r.api_key) deltas.push({ kind: "key", id: r.api_key, amount: r.spend });
    if (r.team_id) deltas.push({ kind: "team", id: r.team_id, amount: r.spend });
    if (r.user) deltas.push({ kind: "user", id: r.user, amount: r.spend });
    if (r.end_user) deltas.push({ kind: "customer", id: r.end_user, amount: r.spend });
  }
  return deltas;
}

/** Postgres may hand integers back as strings; records compare and hash as numbers. */
function numeric(r: ChainedRecord): ChainedRecord {
  for (const k of NUMERIC) (r as unknown as Record<string, number>)[k] = Number(r[k]);
  return r;
}

const NUMERIC = [
  "seq",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "http_status",
  "cache_hit",
  "spend",
] as const;
