import type { CreateTableBuilder, Kysely, Migration } from "kysely";
import { bigintOnPostgres } from "./bigint-migration.js";

/** Budget and limit columns keys, teams and users share. */
function budgeted<T extends string>(t: CreateTableBuilder<T, never>) {
  return t
    .addColumn("spend", "double precision", (c) => c.notNull().defaultTo(0))
    .addColumn("max_budget", "double precision")
    .addColumn("budget_duration", "text")
    .addColumn("budget_reset_at", "text")
    .addColumn("tpm_limit", "integer")
    .addColumn("rpm_limit", "integer");
}

/** Virtual keys, teams, internal users (issue 14). Names carry the branch prefix "010_keys_". */
export const ACCESS_MIGRATIONS: Record<string, Migration> = {
  "010_keys_access": {
    async up(db: Kysely<unknown>) {
      await budgeted(
        db.schema
          .createTable("teams")
          .addColumn("team_id", "text", (c) => c.primaryKey())
          .addColumn("team_alias", "text")
          .addColumn("models", "text", (c) => c.notNull())
          .addColumn("metadata", "text", (c) => c.notNull())
          .addColumn("blocked", "integer", (c) => c.notNull().defaultTo(0)),
      )
        .addColumn("max_parallel_requests", "integer")
        .addColumn("allowed_model_region", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await budgeted(
        db.schema
          .createTable("internal_users")
          .addColumn("user_id", "text", (c) => c.primaryKey())
          .addColumn("user_email", "text")
          .addColumn("user_alias", "text")
          .addColumn("user_role", "text", (c) => c.notNull())
          .addColumn("models", "text", (c) => c.notNull())
          .addColumn("metadata", "text", (c) => c.notNull()),
      )
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("team_members")
        .addColumn("team_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("team_members_pk", ["team_id", "user_id"])
        .execute();
      await budgeted(
        db.schema
          .createTable("virtual_keys")
          .addColumn("token", "text", (c) => c.primaryKey())
          .addColumn("key_name", "text", (c) => c.notNull())
          .addColumn("key_alias", "text", (c) => c.unique())
          .addColumn("user_id", "text")
          .addColumn("team_id", "text")
          .addColumn("models", "text", (c) => c.notNull())
          .addColumn("aliases", "text", (c) => c.notNull())
          .addColumn("metadata", "text", (c) => c.notNull())
          .addColumn("blocked", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("expires", "text"),
      )
        .addColumn("max_parallel_requests", "integer")
        .addColumn("allowed_model_region", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("virtual_keys_team_idx").on("virtual_keys").column("team_id").execute();
      await db.schema.createIndex("virtual_keys_user_idx").on("virtual_keys").column("user_id").execute();
      // customers already had spend and max_budget; a duration and its reset time make them resettable
      await db.schema.alterTable("customers").addColumn("budget_duration", "text").execute();
      await db.schema.alterTable("customers").addColumn("budget_reset_at", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ["virtual_keys", "team_members", "internal_users", "teams"])
        await db.schema.dropTable(t).execute();
    },
  },
};

/**
 * Rate limits as LiteLLM stores them (BigInt): "no real limit" is often written as a large number
 * (tpm_limit: 1e12), which a 32-bit Postgres column refused.
 */
export const LIMITS_BIGINT = bigintOnPostgres([
  ["virtual_keys", ["tpm_limit", "rpm_limit", "max_parallel_requests"]],
  ["teams", ["tpm_limit", "rpm_limit", "max_parallel_requests"]],
  ["internal_users", ["tpm_limit", "rpm_limit"]],
]);
