import { type Kysely, sql } from "kysely";
import type { SpendDelta, SpendKind } from "./access-types.js";
import type { Database } from "./schema.js";

type Db = Kysely<Database>;

/** Where each kind's spend lives: table and primary key. */
const TABLES: Record<SpendKind, { table: string; pk: string }> = {
  key: { table: "virtual_keys", pk: "token" },
  team: { table: "teams", pk: "team_id" },
  user: { table: "internal_users", pk: "user_id" },
  customer: { table: "customers", pk: "user_id" },
};

/** One transaction, one UPDATE per row (deltas for the same row are summed first). */
export async function addSpend(db: Db, deltas: SpendDelta[]): Promise<void> {
  const summed = new Map<string, SpendDelta>();
  for (const d of deltas) {
    if (!(d.amount > 0)) continue;
    const k = `${d.kind}\u0000${d.id}`;
    const prev = summed.get(k);
    if (prev) prev.amount += d.amount;
    else summed.set(k, { ...d });
  }
  if (summed.size === 0) return;
  await db.transaction().execute(async (tx) => {
    for (const d of summed.values()) {
      const t = TABLES[d.kind];
      await sql`update ${sql.table(t.table)} set spend = spend + ${d.amount} where ${sql.ref(t.pk)} = ${d.id}`.execute(
        tx,
      );
    }
  });
}

export async function resetBudgets(
  db: Db,
  now: string,
  next: (duration: string, from: string) => string | null,
): Promise<Array<{ kind: SpendKind; id: string }>> {
  const done: Array<{ kind: SpendKind; id: string }> = [];
  for (const [kind, t] of Object.entries(TABLES) as Array<[SpendKind, (typeof TABLES)[SpendKind]]>) {
    const due = await sql<{ id: string; budget_duration: string | null; budget_reset_at: string }>`
      select ${sql.ref(t.pk)} as id, budget_duration, budget_reset_at from ${sql.table(t.table)}
      where budget_reset_at is not null and budget_reset_at <= ${now}`.execute(db);
    for (const r of due.rows) {
      const following = r.budget_duration ? next(r.budget_duration, now) : null;
      // compare-and-set: another instance that reset this row first changed budget_reset_at
      const res = await sql`update ${sql.table(t.table)} set spend = 0, budget_reset_at = ${following}
        where ${sql.ref(t.pk)} = ${r.id} and budget_reset_at = ${r.budget_reset_at}`.execute(db);
      if (Number(res.numAffectedRows ?? 0) === 1) done.push({ kind, id: r.id });
    }
  }
  return done;
}
