import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { gatewayError } from "../errors.js";
import { geographyOf, listGeographies } from "../regions/table.js";
import type { CustomerFields } from "../store/customers.js";
import type { Gateway } from "./gateway.js";

export const region = z
  .string()
  .nullable()
  .transform((s, ctx) => {
    if (s === null) return null;
    const g = geographyOf(s);
    if (!g || g !== s.trim().toLowerCase()) {
      ctx.addIssue({
        code: "custom",
        message: `unknown region "${s}"; use one of: ${listGeographies().join(", ")}`,
      });
      return z.NEVER;
    }
    return g;
  });

// Every store must hold what it is given and give back the same string: Postgres text refuses NUL
// (the insert fails, which used to read as "store unavailable"), and a lone surrogate is stored as
// U+FFFD, so a later lookup by the same id would miss. Ids also refuse the other control characters.
const CONTROL = /[\p{Cc}\p{Cs}]/u;
const UNSTORABLE = /\p{Cs}/u;
export const storable = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine(
      (s) => !s.includes("\0") && !UNSTORABLE.test(s),
      "must not contain NUL or unpaired surrogate characters",
    );

export const MAX_METADATA_DEPTH = 20;
export const MAX_METADATA_BYTES = 64 * 1024;

const userId = z
  .string()
  .trim()
  .min(1, "must be a non-empty string")
  .max(256, "must be at most 256 characters")
  .refine((s) => !CONTROL.test(s), "must not contain control or unpaired surrogate characters");
// A top-level "__proto__" key: the record schema rebuilds the object by assignment, which sets the
// prototype instead, and the key vanished from what was stored without a word.
const noProtoKey = (v: unknown) => !(v !== null && typeof v === "object" && Object.hasOwn(v, "__proto__"));
export const metadata = z
  .unknown()
  .refine(noProtoKey, 'must not have a key named "__proto__"')
  .pipe(
    z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
      if (depthOver(m, MAX_METADATA_DEPTH))
        ctx.addIssue({ code: "custom", message: `must nest at most ${MAX_METADATA_DEPTH} levels deep` });
      else if (Buffer.byteLength(JSON.stringify(m)) > MAX_METADATA_BYTES)
        ctx.addIssue({ code: "custom", message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` });
    }),
  )
  .nullable()
  .optional();
const fields = {
  alias: storable(256).nullable().optional(),
  allowed_model_region: region.optional(),
  default_model: storable(256).nullable().optional(),
  blocked: z.boolean().optional(),
  max_budget: z.number().nonnegative().nullable().optional(),
  budget_id: storable(256).nullable().optional(),
  metadata,
};
const newSchema = z.object({ user_id: userId, ...fields });
const updateSchema = z.object({ user_id: userId, ...fields });
const idsSchema = z.object({ user_ids: z.array(userId).min(1, "must list at least one user id").max(1000) });

export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw gatewayError("invalid_request", { reason: "not_object" });
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    const param = i.path.map(String).join(".") || null;
    const code = param === "allowed_model_region" ? "invalid_region" : "invalid_request";
    const missing = i.code === "invalid_type" && /received undefined$/.test(i.message);
    throw gatewayError(
      code,
      missing ? { reason: "missing", param } : { reason: "invalid", param, why: i.message },
      { param },
    );
  }
  return r.data;
}

function pickFields(b: Record<string, unknown>): CustomerFields {
  const out: CustomerFields = {};
  for (const k of Object.keys(fields) as Array<keyof CustomerFields>) {
    if (b[k] !== undefined) (out as Record<string, unknown>)[k] = b[k];
  }
  return out;
}

/** LiteLLM's /end_user/* and /customer/* admin API (master key only). */
export function registerEndUserRoutes(app: FastifyInstance, gw: Gateway): void {
  const doc = (summary: string, body?: z.ZodType) => ({
    config: { admin: true, openapi: { summary, tags: ["customers"], body } },
  });
  const admin = doc("List customers (end users)");
  for (const prefix of ["/end_user", "/customer"]) {
    app.post(
      `${prefix}/new`,
      doc("Create a customer, optionally pinned to a region", newSchema),
      async (req) => {
        const b = parse(newSchema, req.body);
        return gw.customers.create(b.user_id, pickFields(b));
      },
    );
    app.get(`${prefix}/info`, doc("One customer by end_user_id"), async (req) => {
      const q = req.query as Record<string, string | undefined>;
      const id = q.end_user_id ?? q.customer_id ?? q.user_id;
      if (!id)
        throw gatewayError(
          "invalid_request",
          { reason: "missing_query", param: "end_user_id" },
          { param: "end_user_id" },
        );
      const checked = userId.safeParse(id);
      if (!checked.success)
        throw gatewayError(
          "invalid_request",
          { reason: "invalid", param: "end_user_id", why: checked.error.issues[0].message },
          { param: "end_user_id" },
        );
      return gw.customers.get(checked.data);
    });
    app.post(
      `${prefix}/update`,
      doc("Change a customer (region, budget, block)", updateSchema),
      async (req) => {
        const b = parse(updateSchema, req.body);
        return gw.customers.update(b.user_id, pickFields(b));
      },
    );
    app.post(`${prefix}/delete`, doc("Delete customers (all or none)", idsSchema), async (req) => {
      const b = parse(idsSchema, req.body);
      return { deleted_customers: await gw.customers.delete(b.user_ids) };
    });
    app.get(`${prefix}/list`, admin, async (req) => listHandler(gw, req));
    app.post(`${prefix}/block`, doc("Block customers", idsSchema), async (req) => {
      const b = parse(idsSchema, req.body);
      await gw.customers.setBlocked(b.user_ids, true);
      return { blocked_users: b.user_ids };
    });
    app.post(`${prefix}/unblock`, doc("Unblock customers", idsSchema), async (req) => {
      const b = parse(idsSchema, req.body);
      await gw.customers.setBlocked(b.user_ids, false);
      return { unblocked_users: b.user_ids };
    });
  }
}

async function listHandler(gw: Gateway, req: FastifyRequest) {
  const q = req.query as Record<string, string | undefined>;
  const limit = clampInt(q.limit ?? q.page_size, 1000, 1, 10_000, "limit");
  const page = q.page !== undefined ? clampInt(q.page, 1, 1, 1_000_000, "page") : undefined;
  const offset =
    page !== undefined ? (page - 1) * limit : clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER, "offset");
  return gw.customers.list(limit, offset);
}

export function clampInt(
  v: string | undefined,
  dflt: number,
  min: number,
  max: number,
  name: string,
): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw gatewayError("invalid_request", { reason: "not_integer", param: name, min, max }, { param: name });
  return n;
}

/** Deeper than `limit`? Stops at the limit, so a hostile 10,000-level body costs `limit` steps down. */
function depthOver(v: unknown, limit: number): boolean {
  if (v === null || typeof v !== "object") return false;
  if (limit === 0) return true;
  for (const child of Object.values(v)) if (depthOver(child, limit - 1)) return true;
  return false;
}
