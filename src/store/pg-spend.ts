import { type QueryExecutorProvider, sql } from "kysely";
import { type ChainedRecord, RECORD_FIELDS } from "../audit/record.js";

const COLUMNS = sql.raw(
  ["instance_id", "seq", "prev_hash", "hash", ...RECORD_FIELDS].map((c) => `"${c}"`).join(","),
);

/** Thrown inside the transaction to roll it back: some rows were stored already (a replay). */
class SomeStored extends Error {}

/**
 * The spend log's rows on Postgres, as one statement with one parameter: the batch as JSON, which
 * Postgres turns into rows (json_populate_recordset). A multi-row VALUES insert built by Kysely
 * cost the gateway ~35 µs of CPU a record (a bound parameter per column); the JSON text is one
 * JSON.stringify, and the parsing happens in the database. Records must hold only text Postgres
 * stores (no NUL, no lone surrogate: buildRecord sees to it) or the whole batch fails.
 *
 * A batch of new records is inserted as it is; only when a row is there already (a replayed spill
 * file) is the transaction redone with RETURNING to learn which ones were new.
 */
export async function insertPgRows(
  tx: QueryExecutorProvider,
  records: readonly ChainedRecord[],
  skipStored: boolean,
): Promise<readonly ChainedRecord[]> {
  const rows = sql`select ${COLUMNS} from json_populate_recordset(null::spend_logs, ${JSON.stringify(records)}::json)`;
  if (!skipStored) {
    const r =
      await sql`insert into spend_logs (${COLUMNS}) ${rows} on conflict (request_id) do nothing`.execute(tx);
    if (Number(r.numAffectedRows ?? 0) !== records.length) throw new SomeStored();
    return records;
  }
  const stored = await sql<{ request_id: string }>`
    insert into spend_logs (${COLUMNS}) ${rows} on conflict (request_id) do nothing
    returning request_id`.execute(tx);
  const fresh = new Set(stored.rows.map((r) => r.request_id));
  return records.filter((r) => fresh.has(r.request_id));
}

export function isSomeStored(err: unknown): boolean {
  return err instanceof SomeStored;
}
