import type { Kysely } from "kysely";
import { fromRow, isUniqueViolation, toRow } from "./access-rows.js";
import type { InternalUser, UserFields } from "./access-types.js";
import type { Database, UserRow } from "./schema.js";

type Db = Kysely<Database>;

export async function createUser(
  db: Db,
  u: Omit<InternalUser, "created_at" | "updated_at">,
): Promise<InternalUser | undefined> {
  const now = new Date().toISOString();
  try {
    const r = await db
      .insertInto("internal_users")
      .values({ ...(toRow(u) as unknown as UserRow), created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return fromRow<InternalUser>(r);
  } catch (err) {
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

export async function getUser(db: Db, userId: string): Promise<InternalUser | undefined> {
  const r = await db
    .selectFrom("internal_users")
    .selectAll()
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return r ? fromRow<InternalUser>(r) : undefined;
}

export async function updateUser(db: Db, userId: string, f: UserFields): Promise<InternalUser | undefined> {
  const r = await db
    .updateTable("internal_users")
    .set({ ...toRow(f), updated_at: new Date().toISOString() })
    .where("user_id", "=", userId)
    .returningAll()
    .executeTakeFirst();
  return r ? fromRow<InternalUser>(r) : undefined;
}

export async function deleteUsers(
  db: Db,
  userIds: string[],
): Promise<{ deleted: string[]; missing: string[]; keys: string[] }> {
  const ids = [...new Set(userIds)];
  return db.transaction().execute(async (tx) => {
    const found = await tx
      .selectFrom("internal_users")
      .select("user_id")
      .where("user_id", "in", ids)
      .execute();
    const have = new Set(found.map((r) => r.user_id));
    const missing = ids.filter((t) => !have.has(t));
    if (missing.length > 0) return { deleted: [], missing, keys: [] };
    const keys = await tx.selectFrom("virtual_keys").select("token").where("user_id", "in", ids).execute();
    await tx.deleteFrom("virtual_keys").where("user_id", "in", ids).execute();
    await tx.deleteFrom("team_members").where("user_id", "in", ids).execute();
    await tx.deleteFrom("internal_users").where("user_id", "in", ids).execute();
    return { deleted: ids, missing: [], keys: keys.map((k) => k.token) };
  });
}

export async function listUsers(
  db: Db,
  q: { limit: number; offset: number },
): Promise<{ users: InternalUser[]; total: number }> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom("internal_users")
      .selectAll()
      .orderBy("created_at")
      .orderBy("user_id")
      .limit(q.limit)
      .offset(q.offset)
      .execute(),
    db
      .selectFrom("internal_users")
      .select((e) => e.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return { users: rows.map((r) => fromRow<InternalUser>(r)), total: Number(count.n) };
}
