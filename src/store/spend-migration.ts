import { type CreateTableBuilder, type Kysely, type Migration, PostgresAdapter, sql } from "kysely";
import { bigintOnPostgres } from "./bigint-migration.js";

/**
 * The spend log (issue 15): one row per request, hash-chained per instance, and each chain's head.
 * Types both SQLite and Postgres understand; times are ISO text (they sort as text).
 */
export const SPEND_MIGRATION: Migration = {
  async up(db: Kysely<unknown>) {
    let t = db.schema.createTable("spend_logs") as CreateTableBuilder<string, string>;
    for (const c of TEXT_NOT_NULL) t = t.addColumn(c, "text", (col) => col.notNull());
    for (const c of TEXT_NULL) t = t.addColumn(c, "text");
    for (const c of INT_NOT_NULL) t = t.addColumn(c, "integer", (col) => col.notNull());
    await t
      .addColumn("spend", "double precision", (c) => c.notNull())
      .addPrimaryKeyConstraint("spend_logs_pk", ["instance_id", "seq"])
      .execute();
    for (const c of ["request_id", "start_time", "end_user", "api_key", "team_id"])
      await db.schema.createIndex(`spend_logs_${c}_idx`).on("spend_logs").column(c).execute();
    await db.schema
      .createTable("spend_log_chains")
      .addColumn("instance_id", "text", (c) => c.primaryKey())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("spend_log_chains").execute();
    await db.schema.dropTable("spend_logs").execute();
  },
};

/**
 * The key, team and end-user indexes hold only the rows that have one: master-key traffic without a
 * team or end user is most rows on many gateways, and each index entry cost about as much as a
 * column's worth of the record's insert (issue 15's "accounting on within 10 % of off"). A filter
 * on the key says `api_key <> ''` as well, so SQLite and Postgres both see the index applies.
 */
export const SPEND_PARTIAL_INDEXES: Migration = {
  async up(db: Kysely<unknown>) {
    for (const [c, where] of PARTIAL) {
      await db.schema.dropIndex(`spend_logs_${c}_idx`).ifExists().execute();
      await sql`create index ${sql.id(`spend_logs_${c}_idx`)} on spend_logs (${sql.id(c)}) where ${sql.raw(where)}`.execute(
        db,
      );
    }
  },
  async down(db: Kysely<unknown>) {
    for (const [c] of PARTIAL) {
      await db.schema.dropIndex(`spend_logs_${c}_idx`).ifExists().execute();
      await db.schema.createIndex(`spend_logs_${c}_idx`).on("spend_logs").column(c).execute();
    }
  },
};

const PARTIAL = [
  ["api_key", "api_key <> ''"],
  ["team_id", "team_id is not null"],
  ["end_user", "end_user is not null"],
] as const;

const TEXT_NOT_NULL = [
  "instance_id",
  "prev_hash",
  "hash",
  "request_id",
  "call_type",
  "api_key",
  "policy",
  "attempts",
  "start_time",
  "end_time",
  "status",
];
const TEXT_NULL = [
  "team_id",
  "user",
  "end_user",
  "model",
  "model_group",
  "model_id",
  "custom_llm_provider",
  "api_base",
  "geography",
  "region_name",
  "region_source",
  "completion_start_time",
  "error_code",
  "stream",
  "messages",
  "response",
];
const INT_NOT_NULL = [
  "seq",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "http_status",
  "cache_hit",
];

/**
 * Postgres's `integer` is 32 bits: a chain with a stable instance id passes 2^31 records after weeks
 * at a busy gateway's rate, and one upstream reporting 3e9 tokens failed its batch and every batch
 * queued behind it. SQLite's integers are 64 bits already. Rewrites the table on Postgres (the
 * upgrade takes as long as copying the log once).
 */
export const SPEND_BIGINT = bigintOnPostgres([
  ["spend_logs", ["seq", "prompt_tokens", "completion_tokens", "total_tokens"]],
  ["spend_log_chains", ["seq"]],
]);

/**
 * The call id is the spend log's primary key, as in LiteLLM_SpendLogs (`request_id @id`), instead
 * of (instance_id, seq): one b-tree fewer for every record written (each index cost about a fifth
 * of a record's insert; issue 15's "accounting on within 10 % of off"), and the request_id index
 * becomes the key. A chain is walked in call-id order (verify.ts); call ids are time-ordered.
 * Postgres changes the constraint in place; SQLite, which cannot, copies the table once.
 */
export const SPEND_REQUEST_ID_KEY: Migration = {
  up: (db) => rekey(db, ["request_id"]),
  down: (db) => rekey(db, ["instance_id", "seq"]),
};

async function rekey(db: Kysely<unknown>, key: string[]): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table spend_logs drop constraint spend_logs_pk`.execute(db);
    await sql`alter table spend_logs add constraint spend_logs_pk primary key (${sql.join(key.map((c) => sql.id(c)))})`.execute(
      db,
    );
  } else {
    let t = db.schema.createTable("spend_logs_rekeyed") as CreateTableBuilder<string, string>;
    for (const c of TEXT_NOT_NULL) t = t.addColumn(c, "text", (col) => col.notNull());
    for (const c of TEXT_NULL) t = t.addColumn(c, "text");
    for (const c of INT_NOT_NULL) t = t.addColumn(c, "integer", (col) => col.notNull());
    await t
      .addColumn("spend", "double precision", (c) => c.notNull())
      .addPrimaryKeyConstraint("spend_logs_pk", key as never)
      .execute();
    const cols = sql.join([...TEXT_NOT_NULL, ...TEXT_NULL, ...INT_NOT_NULL, "spend"].map((c) => sql.id(c)));
    await sql`insert into spend_logs_rekeyed (${cols}) select ${cols} from spend_logs`.execute(db);
    await db.schema.dropTable("spend_logs").execute();
    await sql`alter table spend_logs_rekeyed rename to spend_logs`.execute(db);
    await db.schema.createIndex("spend_logs_start_time_idx").on("spend_logs").column("start_time").execute();
    for (const [c, where] of PARTIAL)
      await sql`create index ${sql.id(`spend_logs_${c}_idx`)} on spend_logs (${sql.id(c)}) where ${sql.raw(where)}`.execute(
        db,
      );
  }
  // the key's own index serves call-id lookups; with the composite key, a second index did
  if (key[0] === "request_id") await db.schema.dropIndex("spend_logs_request_id_idx").ifExists().execute();
  else
    await db.schema.createIndex("spend_logs_request_id_idx").on("spend_logs").column("request_id").execute();
}
