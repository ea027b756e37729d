import type SQLite from "better-sqlite3";
import { type ChainedRecord, RECORD_FIELDS, recordValues } from "../audit/record.js";
import type { SpendDelta, SpendKind } from "./access-types.js";

const COLUMNS = ["instance_id", "seq", "prev_hash", "hash", ...RECORD_FIELDS] as const;
/** 25 rows x 36 columns stays far below SQLite's bound-parameter limit. */
const ROWS_PER_STATEMENT = 25;
const SPEND_TABLES: Record<SpendKind, string> = {
  key: `update virtual_keys set spend = spend + ? where token = ?`,
  team: `update teams set spend = spend + ? where team_id = ?`,
  user: `update internal_users set spend = spend + ? where user_id = ?`,
  customer: `update customers set spend = spend + ? where user_id = ?`,
};

/**
 * The spend log's batch insert on SQLite, as prepared statements in one synchronous transaction:
 * rows, chain heads, spend totals. A batch of new records is inserted as it is; only when a row is
 * there already (a replayed spill file) is the transaction redone with a conflict clause that skips
 * the stored rows (RETURNING on every insert cost a tenth of a record's insert). The commit runs with
 * synchronous=NORMAL (WAL): better-sqlite3 blocks the event loop for a commit's fsync (20-130 ms a
 * batch on a busy disk, with every request in flight waiting); NORMAL survives a crash of the
 * process, not a power loss before the next checkpoint. Admin writes keep FULL.
 */
export class SqliteSpendWriter {
  /** Insert statements by row count (up to ROWS_PER_STATEMENT) and kind, made on first use. */
  private readonly inserts = new Map<string, SQLite.Statement>();
  private readonly head: SQLite.Statement;
  private readonly spend = new Map<SpendKind, SQLite.Statement>();
  private readonly tx: (
    records: readonly ChainedRecord[],
    deltas: (r: ChainedRecord[]) => SpendDelta[],
    skipStored: boolean,
  ) => number;

  constructor(private readonly db: SQLite.Database) {
    this.head = db.prepare(
      `insert into spend_log_chains (instance_id, seq, hash, created_at) values (?, ?, ?, ?)
       on conflict (instance_id) do update set seq = excluded.seq, hash = excluded.hash where spend_log_chains.seq < excluded.seq`,
    );
    for (const [k, q] of Object.entries(SPEND_TABLES)) {
      try {
        this.spend.set(k as SpendKind, db.prepare(q));
      } catch {
        // a table another migration owns is not there (yet): that kind's spend has nowhere to go
      }
    }
    this.tx = db.transaction((records, deltas, skipStored) => {
      const inserted = skipStored ? this.insertNew(records) : this.insertAll(records);
      const heads = new Map<string, ChainedRecord>();
      for (const r of inserted) {
        const h = heads.get(r.instance_id);
        if (!h || r.seq > h.seq) heads.set(r.instance_id, r);
      }
      const now = new Date().toISOString();
      for (const r of heads.values()) this.head.run(r.instance_id, r.seq, r.hash, now);
      const summed = new Map<string, SpendDelta>();
      for (const d of deltas(inserted)) {
        const key = `${d.kind}\u0000${d.id}`;
        const prev = summed.get(key);
        if (prev) prev.amount += d.amount;
        else summed.set(key, { ...d });
      }
      for (const d of summed.values()) this.spend.get(d.kind)?.run(d.amount, d.id);
      return inserted.length;
    });
  }

  /** Every record, as new rows: a row already there fails the statement (and the transaction). */
  private insertAll(records: readonly ChainedRecord[]): readonly ChainedRecord[] {
    for (let at = 0; at < records.length; at += ROWS_PER_STATEMENT) {
      const chunk = records.slice(at, at + ROWS_PER_STATEMENT);
      this.insertFor(chunk.length, false).run(paramsOf(chunk));
    }
    return records;
  }

  /** The records not stored yet; RETURNING says which those were. */
  private insertNew(records: readonly ChainedRecord[]): ChainedRecord[] {
    const inserted: ChainedRecord[] = [];
    for (let at = 0; at < records.length; at += ROWS_PER_STATEMENT) {
      const chunk = records.slice(at, at + ROWS_PER_STATEMENT);
      const stored = this.insertFor(chunk.length, true).all(paramsOf(chunk)) as [string][];
      if (stored.length === chunk.length) inserted.push(...chunk);
      else {
        const fresh = new Set(stored.map(([id]) => id));
        for (const r of chunk) if (fresh.has(r.request_id)) inserted.push(r);
      }
    }
    return inserted;
  }

  /** One statement for several rows: a statement per row cost ~15 % more CPU a record. */
  private insertFor(rows: number, skipStored: boolean): SQLite.Statement {
    const key = `${rows}${skipStored ? "+" : ""}`;
    let st = this.inserts.get(key);
    if (!st) {
      const row = `(${COLUMNS.map(() => "?").join(",")})`;
      const sql = `insert into spend_logs (${COLUMNS.map((c) => `"${c}"`).join(",")}) values ${Array(rows).fill(row).join(",")}`;
      st = skipStored
        ? this.db.prepare(`${sql} on conflict (request_id) do nothing returning request_id`).raw()
        : this.db.prepare(sql);
      this.inserts.set(key, st);
    }
    return st;
  }

  insert(records: readonly ChainedRecord[], deltas: (r: ChainedRecord[]) => SpendDelta[]): number {
    this.db.pragma("synchronous = NORMAL");
    try {
      return this.tx(records, deltas, false);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "SQLITE_CONSTRAINT_PRIMARYKEY" && code !== "SQLITE_CONSTRAINT_UNIQUE") throw err;
      return this.tx(records, deltas, true);
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }
}

function paramsOf(chunk: readonly ChainedRecord[]): unknown[] {
  const params: unknown[] = [];
  for (const r of chunk) {
    params.push(r.instance_id, r.seq);
    for (const v of recordValues(r, r.prev_hash, r.hash)) params.push(v);
  }
  return params;
}
