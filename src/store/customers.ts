import { type Kysely, sql } from "kysely";
import type { Geography } from "../regions/table.js";
import { accessStore } from "./access.js";
import type { AccessStore } from "./access-types.js";
import { type AffinityTable, kyselyAffinityTable } from "./affinity.js";
import { type OpenedDb, openDb } from "./db.js";
import { migrate } from "./migrations.js";
import type { CustomerRow, Database } from "./schema.js";

/** LiteLLM's end-user object, as the API returns it. */
export interface Customer {
  user_id: string;
  alias: string | null;
  allowed_model_region: Geography | null;
  default_model: string | null;
  blocked: boolean;
  spend: number;
  max_budget: number | null;
  budget_id: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export type CustomerFields = Partial<
  Pick<
    Customer,
    "alias" | "allowed_model_region" | "default_model" | "blocked" | "max_budget" | "budget_id" | "metadata"
  >
>;

/** Persistence for customers. Implementations throw on storage failure; callers decide what that means. */
export interface Store {
  readonly kind: string;
  readonly where: string;
  getCustomer(userId: string): Promise<Customer | undefined>;
  /** undefined when a customer with that id already exists. */
  createCustomer(userId: string, fields: CustomerFields): Promise<Customer | undefined>;
  /** undefined when there is no such customer. */
  updateCustomer(userId: string, fields: CustomerFields): Promise<Customer | undefined>;
  /** All or nothing: when any id is unknown, nothing is deleted and the unknown ids are returned. */
  deleteCustomers(userIds: string[]): Promise<{ deleted: number; missing: string[] }>;
  /** All or nothing, like delete. */
  setBlocked(userIds: string[], blocked: boolean): Promise<{ updated: number; missing: string[] }>;
  listCustomers(opts: { limit: number; offset: number }): Promise<Customer[]>;
  /** Which deployment holds a response, file or batch (src/affinity/). */
  readonly affinity: AffinityTable;
  /** Virtual keys, teams, internal users and spend, in the same database. */
  readonly access: AccessStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(url: string | undefined): Promise<Store> {
  const opened = await openDb(url);
  let schema = opened.schema;
  if (schema) await createSchema(opened.db as Kysely<unknown>, schema);
  else if (opened.kind === "postgres") {
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(opened.db);
    schema = r.rows[0]?.s;
  }
  await migrate(opened.db as Kysely<unknown>, schema);
  return new KyselyStore(opened);
}

/** Two instances starting together may race on `if not exists` (Postgres raises 23505); both are fine. */
async function createSchema(db: Kysely<unknown>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    const r = await sql`select 1 from information_schema.schemata where schema_name = ${schema}`.execute(db);
    if (r.rows.length === 0) throw err;
  }
}

function fromRow(r: CustomerRow): Customer {
  return {
    user_id: r.user_id,
    alias: r.alias,
    allowed_model_region: r.allowed_model_region as Geography | null,
    default_model: r.default_model,
    blocked: Number(r.blocked) === 1,
    spend: Number(r.spend),
    max_budget: r.max_budget === null ? null : Number(r.max_budget),
    budget_id: r.budget_id,
    metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as Record<string, unknown>),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

function toColumns(f: CustomerFields): Partial<CustomerRow> {
  const out: Partial<CustomerRow> = {};
  if (f.alias !== undefined) out.alias = f.alias;
  if (f.allowed_model_region !== undefined) out.allowed_model_region = f.allowed_model_region;
  if (f.default_model !== undefined) out.default_model = f.default_model;
  if (f.blocked !== undefined) out.blocked = f.blocked ? 1 : 0;
  if (f.max_budget !== undefined) out.max_budget = f.max_budget;
  if (f.budget_id !== undefined) out.budget_id = f.budget_id;
  if (f.metadata !== undefined) out.metadata = f.metadata === null ? null : JSON.stringify(f.metadata);
  return out;
}

async function missingIds(db: Kysely<Database>, ids: string[]): Promise<string[]> {
  const found = await db.selectFrom("customers").select("user_id").where("user_id", "in", ids).execute();
  const have = new Set(found.map((r) => r.user_id));
  return ids.filter((id) => !have.has(id));
}

class KyselyStore implements Store {
  readonly kind: string;
  readonly where: string;
  readonly affinity: AffinityTable;
  readonly access: AccessStore;
  private readonly db: Kysely<Database>;

  constructor(opened: OpenedDb) {
    this.db = opened.db;
    this.affinity = kyselyAffinityTable(opened.db);
    this.access = accessStore(opened.db);
    this.kind = opened.kind;
    this.where = opened.where;
  }

  async getCustomer(userId: string): Promise<Customer | undefined> {
    const row = await this.db
      .selectFrom("customers")
      .selectAll()
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async createCustomer(userId: string, fields: CustomerFields): Promise<Customer | undefined> {
    const now = new Date().toISOString();
    const row = await this.db
      .insertInto("customers")
      .values({
        alias: null,
        allowed_model_region: null,
        default_model: null,
        blocked: 0,
        spend: 0,
        max_budget: null,
        budget_id: null,
        metadata: null,
        ...toColumns(fields),
        user_id: userId,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column("user_id").doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async updateCustomer(userId: string, fields: CustomerFields): Promise<Customer | undefined> {
    const row = await this.db
      .updateTable("customers")
      .set({ ...toColumns(fields), updated_at: new Date().toISOString() })
      .where("user_id", "=", userId)
      .returningAll()
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async deleteCustomers(userIds: string[]): Promise<{ deleted: number; missing: string[] }> {
    const ids = [...new Set(userIds)];
    return this.db.transaction().execute(async (tx) => {
      const missing = await missingIds(tx, ids);
      if (missing.length > 0) return { deleted: 0, missing };
      const res = await tx.deleteFrom("customers").where("user_id", "in", ids).executeTakeFirst();
      return { deleted: Number(res.numDeletedRows), missing: [] };
    });
  }

  async setBlocked(userIds: string[], blocked: boolean): Promise<{ updated: number; missing: string[] }> {
    const ids = [...new Set(userIds)];
    return this.db.transaction().execute(async (tx) => {
      const missing = await missingIds(tx, ids);
      if (missing.length > 0) return { updated: 0, missing };
      const res = await tx
        .updateTable("customers")
        .set({ blocked: blocked ? 1 : 0, updated_at: new Date().toISOString() })
        .where("user_id", "in", ids)
        .executeTakeFirst();
      return { updated: Number(res.numUpdatedRows), missing: [] };
    });
  }

  async listCustomers(opts: { limit: number; offset: number }): Promise<Customer[]> {
    const rows = await this.db
      .selectFrom("customers")
      .selectAll()
      .orderBy("created_at")
      .orderBy("user_id")
      .limit(opts.limit)
      .offset(opts.offset)
      .execute();
    return rows.map(fromRow);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
