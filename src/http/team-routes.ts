import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { budgetFields, defined, id, limit, unknownFields, warnUnknown } from "./access-schemas.js";
import { clampInt, parse, storable } from "./end-users.js";
import type { Gateway } from "./gateway.js";

const member = z.object({
  user_id: id,
  role: z.enum(["admin", "user"]).optional().default("user"),
});
const teamFields = {
  ...budgetFields,
  team_alias: storable(256).nullable().optional(),
  max_parallel_requests: limit,
  blocked: z.boolean().optional(),
};
const newSchema = z.object({
  team_id: id.optional(),
  members_with_roles: z.array(member).max(1000).optional(),
  ...teamFields,
});
const updateSchema = z.object({ team_id: id, ...teamFields });
const idsSchema = z.object({ team_ids: z.array(id).min(1, "must list at least one team id").max(1000) });
const oneTeam = z.object({ team_id: id });
const memberAdd = z.object({ team_id: id, member: z.union([member, z.array(member).min(1).max(1000)]) });
const memberDelete = z.object({ team_id: id, user_id: id });

/** LiteLLM's /team/* admin API (master key only). */
export function registerTeamRoutes(app: FastifyInstance, gw: Gateway): void {
  const doc = (summary: string, body?: z.ZodType) => ({
    config: { admin: true, openapi: { summary, tags: ["teams"], body } },
  });
  const t = gw.access.teamAdmin;
  app.post("/team/new", doc("Create a team", newSchema), async (req, reply) => {
    const b = parse(newSchema, req.body);
    warnUnknown(reply, unknownFields(req.body, newSchema.shape));
    const { team_id, members_with_roles, ...f } = b;
    return t.create(team_id, defined(f), members_with_roles ?? []);
  });
  app.post("/team/update", doc("Change a team", updateSchema), async (req, reply) => {
    const b = parse(updateSchema, req.body);
    warnUnknown(reply, unknownFields(req.body, updateSchema.shape));
    const { team_id, ...f } = b;
    return t.update(team_id, defined(f));
  });
  app.post("/team/delete", doc("Delete teams and their keys", idsSchema), async (req) => ({
    deleted_teams: await t.delete(parse(idsSchema, req.body).team_ids),
  }));
  app.post("/team/member_add", doc("Add members", memberAdd), async (req) => {
    const b = parse(memberAdd, req.body);
    return t.members(b.team_id, Array.isArray(b.member) ? b.member : [b.member], []);
  });
  app.post("/team/member_delete", doc("Remove a member", memberDelete), async (req) => {
    const b = parse(memberDelete, req.body);
    return t.members(b.team_id, [], [b.user_id]);
  });
  app.post("/team/block", doc("Block a team", oneTeam), async (req) =>
    t.setBlocked(parse(oneTeam, req.body).team_id, true),
  );
  app.post("/team/unblock", doc("Unblock a team", oneTeam), async (req) =>
    t.setBlocked(parse(oneTeam, req.body).team_id, false),
  );
  app.get("/team/info", doc("A team, its members and keys"), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    return t.info(parse(oneTeam, { team_id: q.team_id }).team_id);
  });
  app.get("/team/list", doc("Teams"), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const page = clampInt(q.page, 1, 1, 1_000_000, "page");
    const size = clampInt(q.page_size ?? q.size, 1000, 1, 10_000, "page_size");
    return t.list(q.user_id, size, (page - 1) * size);
  });
}
