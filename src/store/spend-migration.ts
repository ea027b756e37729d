import type { CreateTableBuilder, Kysely, Migration } from "kysely";

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
