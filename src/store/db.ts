import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import type { Database } from "./schema.js";

export type StoreKind = "sqlite" | "postgres";

export interface OpenedDb {
  db: Kysely<Database>;
  kind: StoreKind;
  /** Where it lives, without credentials, for logs. */
  where: string;
  /** Postgres schema to create before migrating, when the URL names one. */
  schema?: string;
  /** SQLite: the connection itself, for prepared statements run under Kysely's connection lock. */
  sqlite?: SQLite.Database;
}

export const DEFAULT_SQLITE_FILE = "./meridian.db";

/**
 * `postgres://…` / `postgresql://…` → Postgres (pooled; `?schema=name` isolates, e.g. for tests);
 * `sqlite:PATH`, `file:PATH` or a bare path → SQLite file; nothing → ./meridian.db.
 */
export async function openDb(url: string | undefined): Promise<OpenedDb> {
  const u = url?.trim() || `sqlite:${DEFAULT_SQLITE_FILE}`;
  if (/^postgres(ql)?:\/\//i.test(u)) return openPostgres(u);
  const file = u.replace(/^(sqlite|file):(\/\/)?/i, "");
  return openSqlite(file);
}

function openSqlite(file: string): OpenedDb {
  if (file !== ":memory:") mkdirSync(dirname(resolve(file)), { recursive: true });
  const database = new SQLite(file);
  // First: switching to WAL takes a lock, and another process (a cluster worker) may hold it.
  database.pragma("busy_timeout = 5000");
  database.pragma("journal_mode = WAL");
  // FULL: an admin write is on disk before the API answers, even across power loss.
  database.pragma("synchronous = FULL");
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }),
    kind: "sqlite",
    where: file,
    sqlite: database,
  };
}

/**
 * pg emits 'error' on a checked-out client whose connection drops between queries, and the pool
 * only listens on idle ones: unhandled, that crashed the process when Postgres went away (found
 * by the outage test). The failing query, if any, still rejects; the pool discards the client.
 */
function resilientClient(pg: typeof import("pg").default) {
  return class ResilientClient extends pg.Client {
    constructor(config?: string | import("pg").ClientConfig) {
      super(config);
      this.on("error", () => {});
    }
  };
}

async function openPostgres(url: string): Promise<OpenedDb> {
  // Loaded only for Postgres: the SQLite default starts faster without it.
  const { default: pg } = await import("pg");
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/i.test(schema))
    throw new Error(`invalid schema name "${schema}" in DATABASE_URL`);
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 10,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    // a dead server must fail a request quickly, not hang it
    query_timeout: 5_000,
    // quoted: the schema was created with its name quoted, so a capital letter stays one
    options: schema ? `-c search_path="${schema}"` : undefined,
    Client: resilientClient(pg) as unknown as new () => import("pg").ClientBase,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  parsed.password = parsed.password ? "***" : "";
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    kind: "postgres",
    schema: schema ?? undefined,
    where: `${parsed.host}${parsed.pathname}${schema ? ` schema ${schema}` : ""}`,
  };
}
