import type { Kysely } from "kysely";
import type { AffinityRow, Database } from "./schema.js";

/**
 * Which deployment holds an upstream object (a stored response, a file, a batch): written once when
 * the object is created, read by every follow-up. `data` is optional state Meridian keeps itself
 * (e.g. a translated response's conversation), as JSON text.
 */
export interface AffinityTable {
  /** Insert or replace the row for (kind, id). */
  put(row: AffinityRow): Promise<void>;
  get(kind: string, id: string): Promise<AffinityRow | undefined>;
  /** true when a row was deleted. */
  delete(kind: string, id: string): Promise<boolean>;
}

export function kyselyAffinityTable(db: Kysely<Database>): AffinityTable {
  return {
    async put(row) {
      await db
        .insertInto("affinity")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["kind", "id"]).doUpdateSet({
            deployment_id: row.deployment_id,
            geographies: row.geographies,
            data: row.data,
            created_at: row.created_at,
            owner: row.owner ?? null,
          }),
        )
        .execute();
    },
    async get(kind, id) {
      return db
        .selectFrom("affinity")
        .selectAll()
        .where("kind", "=", kind)
        .where("id", "=", id)
        .executeTakeFirst();
    },
    async delete(kind, id) {
      const r = await db
        .deleteFrom("affinity")
        .where("kind", "=", kind)
        .where("id", "=", id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
