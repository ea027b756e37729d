import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { fromRow, isUniqueViolation, toRow } from "./access-rows.js";
import type { AliasConflict, KeyConflict, KeyFields, NewKey, VirtualKey } from "./access-types.js";
import type { Database, KeyRow } from "./schema.js";

type Db = Kysely<Database>;
const key = (r: KeyRow | undefined) => (r ? fromRow<VirtualKey>(r) : undefined);

export async function createKey(db: Db, given: NewKey): Promise<VirtualKey | AliasConflict | KeyConflict> {
  const now = new Date().toISOString();
  const k = { ...given, key_id: given.key_id ?? randomUUID() };
  try {
    const row = await db
      .insertInto("virtual_keys")
      .values({ ...(toRow(k) as unknown as KeyRow), created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return fromRow<VirtualKey>(row);
  } catch (err) {
    const conflict = await conflictOf(db, err, k.token, k.key_alias);
    if (conflict) return conflict;
    throw err;
  }
}

/** Which unique column a failed write collided on: the alias (by another key) or the key itself. */
async function conflictOf(
  db: Db,
  err: unknown,
  token: string,
  alias: string | null | undefined,
): Promise<AliasConflict | KeyConflict | undefined> {
  if (!isUniqueViolation(err)) return undefined;
  if (alias) {
    const taken = await getKeyByAlias(db, alias);
    if (taken && taken.token !== token) return "alias_exists";
  }
  if (await getKey(db, token)) return "key_exists";
  return undefined;
}

export async function getKey(db: Db, token: string): Promise<VirtualKey | undefined> {
  return key(await db.selectFrom("virtual_keys").selectAll().where("token", "=", token).executeTakeFirst());
}

export async function getKeyByAlias(db: Db, alias: string): Promise<VirtualKey | undefined> {
  return key(
    await db.selectFrom("virtual_keys").selectAll().where("key_alias", "=", alias).executeTakeFirst(),
  );
}

export async function updateKey(
  db: Db,
  token: string,
  f: KeyFields,
): Promise<VirtualKey | undefined | AliasConflict> {
  try {
    return key(
      await db
        .updateTable("virtual_keys")
        .set({ ...toRow(f), updated_at: new Date().toISOString() })
        .where("token", "=", token)
        .returningAll()
        .executeTakeFirst(),
    );
  } catch (err) {
    if (isUniqueViolation(err) && f.key_alias) return "alias_exists";
    throw err;
  }
}

export async function replaceToken(
  db: Db,
  oldToken: string,
  token: string,
  keyName: string,
  f: KeyFields,
): Promise<VirtualKey | undefined | AliasConflict | KeyConflict> {
  try {
    return key(
      await db
        .updateTable("virtual_keys")
        .set({ ...toRow(f), token, key_name: keyName, updated_at: new Date().toISOString() })
        .where("token", "=", oldToken)
        .returningAll()
        .executeTakeFirst(),
    );
  } catch (err) {
    const conflict = await conflictOf(db, err, oldToken, f.key_alias);
    if (conflict) return conflict;
    throw err;
  }
}

export async function deleteKeys(
  db: Db,
  tokens: string[],
): Promise<{ deleted: string[]; missing: string[] }> {
  const ids = [...new Set(tokens)];
  if (ids.length === 0) return { deleted: [], missing: [] };
  return db.transaction().execute(async (tx) => {
    const found = await tx.selectFrom("virtual_keys").select("token").where("token", "in", ids).execute();
    const have = new Set(found.map((r) => r.token));
    const missing = ids.filter((t) => !have.has(t));
    if (missing.length > 0) return { deleted: [], missing };
    await tx.deleteFrom("virtual_keys").where("token", "in", ids).execute();
    return { deleted: ids, missing: [] };
  });
}

export async function listKeys(
  db: Db,
  q: { teamId?: string; userId?: string; keyAlias?: string; limit: number; offset: number },
): Promise<{ keys: VirtualKey[]; total: number }> {
  let base = db.selectFrom("virtual_keys");
  if (q.teamId !== undefined) base = base.where("team_id", "=", q.teamId);
  if (q.userId !== undefined) base = base.where("user_id", "=", q.userId);
  if (q.keyAlias !== undefined) base = base.where("key_alias", "=", q.keyAlias);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy("created_at").orderBy("token").limit(q.limit).offset(q.offset).execute(),
    base.select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { keys: rows.map((r) => fromRow<VirtualKey>(r)), total: Number(count.n) };
}
