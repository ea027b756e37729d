import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import { ACCESS_MIGRATIONS, LIMITS_BIGINT } from "./access-migrations.js";
import {
  SPEND_BIGINT,
  SPEND_MIGRATION,
  SPEND_PARTIAL_INDEXES,
  SPEND_REQUEST_ID_KEY,
} from "./spend-migration.js";

/**
 * One set of migrations for SQLite and Postgres: only types both understand
 * (text, integer, double precision), no dialect-specific defaults.
 */
const MIGRATIONS: Record<string, Migration> = {
  "001_customers": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("customers")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("alias", "text")
        .addColumn("allowed_model_region", "text")
        .addColumn("default_model", "text")
        .addColumn("blocked", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("spend", "double precision", (c) => c.notNull().defaultTo(0))
        .addColumn("max_budget", "double precision")
        .addColumn("budget_id", "text")
        .addColumn("metadata", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("customers_region_idx")
        .on("customers")
        .column("allowed_model_region")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("customers").execute();
    },
  },
  "020_spend_logs": SPEND_MIGRATION,
  ...ACCESS_MIGRATIONS,
  // id -> deployment of stored responses, files, batches (src/affinity/); data: state Meridian keeps
  "030_affinity": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("affinity")
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("deployment_id", "text", (c) => c.notNull())
        .addColumn("geographies", "text")
        .addColumn("data", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("affinity_pk", ["kind", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("affinity").execute();
    },
  },
  "040_spend_logs_partial_indexes": SPEND_PARTIAL_INDEXES,
  // who may use a stored response, file or batch (src/affinity/owner.ts); older rows have none
  "050_affinity_owner": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("affinity").addColumn("owner", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("affinity").dropColumn("owner").execute();
    },
  },
  "060_spend_logs_bigint": SPEND_BIGINT,
  // a key's id across regenerations (affinity/owner.ts); an existing key's is its token, which is
  // what its stored objects' owner already names
  "070_virtual_keys_key_id": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("virtual_keys").addColumn("key_id", "text").execute();
      await sql`update virtual_keys set key_id = token`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("virtual_keys").dropColumn("key_id").execute();
    },
  },
  // rate limits as LiteLLM stores them (BigInt); Postgres only
  "080_limits_bigint": LIMITS_BIGINT,
  "090_spend_logs_request_id_key": SPEND_REQUEST_ID_KEY,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * `schema` (Postgres) pins the bookkeeping tables: without it Kysely looks for them in *every*
 * schema, so a second Meridian schema in the same database saw the first one's tables and never
 * created its own (found by the store contract suite).
 */
export async function migrate(db: Kysely<unknown>, schema?: string): Promise<void> {
  const { error, results } = await migrator(db, schema).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(
      `database migration ${failed ?? ""} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
}

/** Meridian's migrations on `db` (tests step them down and up). */
export function migrator(db: Kysely<unknown>, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: new StaticProvider(),
    migrationTableSchema: schema,
    migrationTableName: "meridian_migrations",
    migrationLockTableName: "meridian_migrations_lock",
  });
}

export { sql };
