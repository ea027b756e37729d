import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { tokenOf } from "../auth/key-admin.js";
import { gatewayError } from "../errors.js";
import {
  budgetFields,
  defined,
  duration,
  id,
  limit,
  principalOf,
  unknownFields,
  warnUnknown,
} from "./access-schemas.js";
import { clampInt, parse, region, storable } from "./end-users.js";
import type { Gateway } from "./gateway.js";

const keyFields = {
  ...budgetFields,
  key_alias: storable(256).nullable().optional(),
  user_id: id.nullable().optional(),
  team_id: id.nullable().optional(),
  max_parallel_requests: limit,
  aliases: z.record(z.string(), storable(256)).optional(),
  blocked: z.boolean().nullable().optional(),
  duration,
  spend: z.number().nonnegative("must be >= 0").optional(),
  allowed_model_region: region.optional(),
};
const customKey = z
  .string()
  .startsWith("sk-", "must start with sk-")
  .min(16, "must be at least 16 characters")
  .max(256)
  .refine((k) => /^[\x21-\x7e]+$/.test(k), "must be printable ASCII without spaces");
const generateSchema = z.object({ ...keyFields, key: customKey.optional() });
const updateSchema = z.object({ ...keyFields, key: z.string().min(1) });
const regenerateSchema = z.object({
  key: z.string().min(1).optional(),
  new_key: customKey.optional(),
  ...keyFields,
});
const deleteSchema = z
  .object({
    keys: z.array(z.string().min(1)).max(1000).optional(),
    key_aliases: z.array(z.string().min(1)).max(1000).optional(),
  })
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, {
    message: "name at least one key in keys or key_aliases",
    path: ["keys"],
  });
const oneKey = z.object({ key: z.string().min(1) });

/** Body fields -> stored fields: `blocked: null` means not blocked, absent fields are left alone. */
function fieldsOf(b: z.infer<typeof generateSchema>) {
  const { key: _key, ...rest } = b;
  return defined({ ...rest, blocked: rest.blocked === null ? false : rest.blocked });
}

/** LiteLLM's /key/* admin API. Master key only, except GET /key/info for the caller's own key. */
export function registerKeyRoutes(app: FastifyInstance, gw: Gateway): void {
  const admin = { config: { admin: true } };
  const doc = (summary: string, body?: z.ZodType) => ({
    config: { admin: true, openapi: { summary, tags: ["keys"], body } },
  });
  const a = gw.access;
  app.post("/key/generate", doc("Create a virtual key (shown once)", generateSchema), async (req, reply) => {
    const b = parse(generateSchema, req.body);
    warnUnknown(reply, unknownFields(req.body, generateSchema.shape));
    return a.keyAdmin.generate({ ...fieldsOf(b), key: b.key });
  });
  app.post("/key/update", doc("Change a key", updateSchema), async (req, reply) => {
    const b = parse(updateSchema, req.body);
    warnUnknown(reply, unknownFields(req.body, updateSchema.shape));
    return a.keyAdmin.update(b.key, fieldsOf({ ...b, key: undefined }));
  });
  const regenerate = async (keyParam: string | undefined, body: unknown) => {
    const b = parse(regenerateSchema, body ?? {});
    const which = keyParam ?? b.key;
    if (!which) throw gatewayError("invalid_request", { reason: "missing", param: "key" }, { param: "key" });
    const { new_key, key: _k, ...rest } = b;
    return a.keyAdmin.regenerate(which, { ...fieldsOf(rest), key: new_key });
  };
  app.post(
    "/key/regenerate",
    doc("Replace a key with a new one, same settings", regenerateSchema),
    async (req) => regenerate(undefined, req.body),
  );
  app.post("/key/:key/regenerate", admin, async (req) =>
    regenerate((req.params as { key: string }).key, req.body),
  );
  app.post("/key/delete", doc("Delete keys by key or alias", deleteSchema), async (req) => {
    const b = parse(deleteSchema, req.body);
    return { deleted_keys: await a.keyAdmin.delete(b.keys ?? [], b.key_aliases ?? []) };
  });
  app.post("/key/block", doc("Block a key", oneKey), async (req) =>
    a.keyAdmin.setBlocked(parse(oneKey, req.body).key, true),
  );
  app.post("/key/unblock", doc("Unblock a key", oneKey), async (req) =>
    a.keyAdmin.setBlocked(parse(oneKey, req.body).key, false),
  );
  app.get("/key/info", doc("A key (the caller's own when no key is given)"), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const caller = principalOf(req);
    const own = caller?.kind === "virtual" ? caller.keyHash : undefined;
    const asked = q.key;
    if (own !== undefined && asked !== undefined && tokenOf(asked) !== own)
      throw gatewayError("admin_key_required", { path: "/key/info for another key" });
    const which = asked ?? own;
    if (!which)
      throw gatewayError("invalid_request", { reason: "missing_query", param: "key" }, { param: "key" });
    const info = await a.keyAdmin.info(which);
    return { key: asked ?? info.token, info };
  });
  app.get("/key/list", doc("Keys, paged"), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const page = clampInt(q.page, 1, 1, 1_000_000, "page");
    const size = clampInt(q.size, 10, 1, 100, "size");
    const r = await a.keyAdmin.list({
      teamId: q.team_id,
      userId: q.user_id,
      keyAlias: q.key_alias,
      limit: size,
      offset: (page - 1) * size,
    });
    const full = q.return_full_object === "true";
    return {
      keys: full ? r.keys : r.keys.map((k) => k.token),
      total_count: r.total,
      current_page: page,
      total_pages: Math.ceil(r.total / size),
    };
  });
}
