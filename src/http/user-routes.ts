import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { budgetFields, defined, duration, id, unknownFields, warnUnknown } from "./access-schemas.js";
import { clampInt, parse, storable } from "./end-users.js";
import type { Gateway } from "./gateway.js";

const userFields = {
  ...budgetFields,
  user_email: storable(256).nullable().optional(),
  user_alias: storable(256).nullable().optional(),
  user_role: z
    .enum(["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"])
    .optional(),
};
const newSchema = z.object({
  user_id: id.optional(),
  auto_create_key: z.boolean().optional(),
  key_alias: storable(256).nullable().optional(),
  duration,
  ...userFields,
});
const updateSchema = z.object({ user_id: id, ...userFields });
const idsSchema = z.object({ user_ids: z.array(id).min(1, "must list at least one user id").max(1000) });

/**
 * LiteLLM's /user/* admin API (master key only). /user/new also generates a key for the user unless
 * `auto_create_key: false`, as LiteLLM does; its answer carries that key once.
 */
export function registerUserRoutes(app: FastifyInstance, gw: Gateway): void {
  const doc = (summary: string, body?: z.ZodType) => ({
    config: { admin: true, openapi: { summary, tags: ["users"], body } },
  });
  const u = gw.access.userAdmin;
  app.post("/user/new", doc("Create an internal user (and a key)", newSchema), async (req, reply) => {
    const b = parse(newSchema, req.body);
    warnUnknown(reply, unknownFields(req.body, newSchema.shape));
    const { user_id, auto_create_key, key_alias, duration, ...f } = b;
    const user = await u.create(user_id ?? crypto.randomUUID(), defined(f));
    if (auto_create_key === false) return user;
    const key = await gw.access.keyAdmin.generate(
      defined({ user_id: user.user_id, key_alias, duration, models: user.models }),
    );
    return { ...key, ...user };
  });
  app.post("/user/update", doc("Change a user", updateSchema), async (req, reply) => {
    const b = parse(updateSchema, req.body);
    warnUnknown(reply, unknownFields(req.body, updateSchema.shape));
    const { user_id, ...f } = b;
    return u.update(user_id, defined(f));
  });
  app.post("/user/delete", doc("Delete users and their keys", idsSchema), async (req) => ({
    deleted_users: await u.delete(parse(idsSchema, req.body).user_ids),
  }));
  app.get("/user/info", doc("A user, their keys and teams"), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    return u.info(parse(z.object({ user_id: id }), { user_id: q.user_id }).user_id);
  });
  app.get("/user/list", doc("Users, paged"), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const page = clampInt(q.page, 1, 1, 1_000_000, "page");
    const size = clampInt(q.page_size, 25, 1, 1000, "page_size");
    const r = await u.list(size, (page - 1) * size);
    return { users: r.users, total: r.total, page, page_size: size, total_pages: Math.ceil(r.total / size) };
  });
}
