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
 * rows (a replayed one is skipped), chain heads, spend totals. The commit runs with
 * synchronous=NORMAL (WAL): better-sqlite3 blocks the event loop for a commit's fsync (20-130 ms a
 * batch on a busy disk, with every request in flight waiting); NORMAL survives a crash of the
 * process, not a power loss before the next checkpoint. Admin writes keep FULL.
 */
export class SqliteSpendWriter {
  /** Insert statements by row count (up to ROWS_PER_STATEMENT), made on first use. */
  private readonly inserts = new Map<number, SQLite.Statement>();
  private readonly head: SQLite.Statement;
  private readonly spend = new Map<SpendKind, SQLite.Statement>();
  private readonly tx: (
    records: readonly ChainedRecord[],
    deltas: (r: ChainedRecord[]) => SpendDelta[],
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
    this.tx = db.transaction((records, deltas) => {
      const inserted: ChainedRecord[] = [];
      for (let at = 0; at < records.length; at += ROWS_PER_STATEMENT) {
        const chunk = records.slice(at, at + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        for (const r of chunk) {
          params.push(r.instance_id, r.seq, r.prev_hash, r.hash);
          for (const v of recordValues(r)) params.push(v);
        }
        const stored = this.insertFor(chunk.length).all(params) as [string, number][];
        if (stored.length === chunk.length) inserted.push(...chunk);
        else {
          // some were there already (a replay): only the new ones move heads and add spend
          const fresh = new Set(stored.map(([id, seq]) => `${id}\u0000${seq}`));
          for (const r of chunk) if (fresh.has(`${r.instance_id}\u0000${r.seq}`)) inserted.push(r);
        }
      }
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

  /**
   * One statement for several rows: a statement per row cost ~15 % more CPU a record, and which rows
   * a replay found already stored is still known, from RETURNING.
   */
  private insertFor(rows: number): SQLite.Statement {
    let st = this.inserts.get(rows);
    if (!st) {
      const row = `(${COLUMNS.map(() => "?").join(",")})`;
      st = this.db
        .prepare(
          `insert into spend_logs (${COLUMNS.map((c) => `"${c}"`).join(",")}) values ${Array(rows).fill(row).join(",")}
           on conflict (instance_id, seq) do nothing returning instance_id, seq`,
        )
        .raw();
      this.inserts.set(rows, st);
    }
    return st;
  }

  insert(records: readonly ChainedRecord[], deltas: (r: ChainedRecord[]) => SpendDelta[]): number {
    this.db.pragma("synchronous = NORMAL");
    try {
      return this.tx(records, deltas);
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }
}
