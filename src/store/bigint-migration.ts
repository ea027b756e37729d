import { type Kysely, type Migration, PostgresAdapter, sql } from "kysely";

/**
 * A migration that widens integer columns to bigint on Postgres, whose `integer` is 32 bits; on
 * SQLite (64-bit integers already) it does nothing. One ALTER TABLE per table (Postgres rewrites the
 * table once, however many columns change).
 */
export function bigintOnPostgres(tables: ReadonlyArray<readonly [string, readonly string[]]>): Migration {
  const alter = (type: "bigint" | "integer") => async (db: Kysely<unknown>) => {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    for (const [table, columns] of tables) {
      const changes = columns.map((c) => `alter column ${c} type ${type}`).join(", ");
      await sql`alter table ${sql.table(table)} ${sql.raw(changes)}`.execute(db);
    }
  };
  return { up: alter("bigint"), down: alter("integer") };
}
