import type { Kysely } from "kysely";
import { fromRow, isUniqueViolation, toRow } from "./access-rows.js";
import type { Team, TeamFields, TeamMember } from "./access-types.js";
import type { Database, TeamRow } from "./schema.js";

type Db = Kysely<Database>;

export async function createTeam(
  db: Db,
  t: Omit<Team, "created_at" | "updated_at">,
  members: TeamMember[],
): Promise<Team | undefined> {
  const now = new Date().toISOString();
  try {
    return await db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto("teams")
        .values({ ...(toRow(t) as unknown as TeamRow), created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (members.length > 0)
        await tx
          .insertInto("team_members")
          .values(members.map((m) => ({ team_id: t.team_id, user_id: m.user_id, role: m.role })))
          .execute();
      return fromRow<Team>(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

export async function getTeam(db: Db, teamId: string): Promise<Team | undefined> {
  const r = await db.selectFrom("teams").selectAll().where("team_id", "=", teamId).executeTakeFirst();
  return r ? fromRow<Team>(r) : undefined;
}

export async function updateTeam(db: Db, teamId: string, f: TeamFields): Promise<Team | undefined> {
  const r = await db
    .updateTable("teams")
    .set({ ...toRow(f), updated_at: new Date().toISOString() })
    .where("team_id", "=", teamId)
    .returningAll()
    .executeTakeFirst();
  return r ? fromRow<Team>(r) : undefined;
}

export async function deleteTeams(
  db: Db,
  teamIds: string[],
): Promise<{ deleted: string[]; missing: string[]; keys: string[] }> {
  const ids = [...new Set(teamIds)];
  return db.transaction().execute(async (tx) => {
    const found = await tx.selectFrom("teams").select("team_id").where("team_id", "in", ids).execute();
    const have = new Set(found.map((r) => r.team_id));
    const missing = ids.filter((t) => !have.has(t));
    if (missing.length > 0) return { deleted: [], missing, keys: [] };
    const keys = await tx.selectFrom("virtual_keys").select("token").where("team_id", "in", ids).execute();
    await tx.deleteFrom("virtual_keys").where("team_id", "in", ids).execute();
    await tx.deleteFrom("team_members").where("team_id", "in", ids).execute();
    await tx.deleteFrom("teams").where("team_id", "in", ids).execute();
    return { deleted: ids, missing: [], keys: keys.map((k) => k.token) };
  });
}

export async function listTeams(
  db: Db,
  q: { userId?: string; limit: number; offset: number },
): Promise<Team[]> {
  let base = db.selectFrom("teams").selectAll("teams");
  if (q.userId !== undefined)
    base = base.where("team_id", "in", (s) =>
      s
        .selectFrom("team_members")
        .select("team_members.team_id")
        .where("user_id", "=", q.userId as string),
    );
  const rows = await base.orderBy("created_at").orderBy("team_id").limit(q.limit).offset(q.offset).execute();
  return rows.map((r) => fromRow<Team>(r));
}

/** Adds (or re-roles) and removes members in one transaction; undefined when the team is gone. */
export async function setMembers(
  db: Db,
  teamId: string,
  add: TeamMember[],
  remove: string[],
): Promise<TeamMember[] | undefined> {
  return db.transaction().execute(async (tx) => {
    const team = await tx
      .selectFrom("teams")
      .select("team_id")
      .where("team_id", "=", teamId)
      .executeTakeFirst();
    if (!team) return undefined;
    for (const m of add)
      await tx
        .insertInto("team_members")
        .values({ team_id: teamId, user_id: m.user_id, role: m.role })
        .onConflict((oc) => oc.columns(["team_id", "user_id"]).doUpdateSet({ role: m.role }))
        .execute();
    if (remove.length > 0)
      await tx
        .deleteFrom("team_members")
        .where("team_id", "=", teamId)
        .where("user_id", "in", remove)
        .execute();
    await tx
      .updateTable("teams")
      .set({ updated_at: new Date().toISOString() })
      .where("team_id", "=", teamId)
      .execute();
    return members(tx, teamId);
  });
}

export async function members(db: Db, teamId: string): Promise<TeamMember[]> {
  return db
    .selectFrom("team_members")
    .select(["user_id", "role"])
    .where("team_id", "=", teamId)
    .orderBy("user_id")
    .execute();
}

export async function teamsOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("team_members")
    .select("team_id")
    .where("user_id", "=", userId)
    .orderBy("team_id")
    .execute();
  return rows.map((r) => r.team_id);
}
