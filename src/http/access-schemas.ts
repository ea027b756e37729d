import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isDuration } from "../budgets/duration.js";
import type { Principal } from "../pipeline/types.js";
import { metadata, region, storable } from "./end-users.js";

/** Shared field schemas of /key/*, /team/* and /user/* (LiteLLM's names). */
export const money = z.number().nonnegative("must be >= 0").nullable().optional();
// Stored exactly by both databases (bigint on Postgres): up to 2^53 - 1; null means no limit.
export const limit = z
  .number()
  .int("must be an integer")
  .nonnegative("must be >= 0")
  .max(Number.MAX_SAFE_INTEGER, "must be at most 9007199254740991 (null: no limit)")
  .nullable()
  .optional();
export const duration = z
  .string()
  .refine(isDuration, 'must be a duration such as "30s", "30m", "30h", "30d", "1w" or "1mo"')
  .nullable()
  .optional();
export const id = storable(256).pipe(z.string().min(1, "must be a non-empty string"));
export const models = z.array(storable(256)).max(1000).optional();
export const meta = metadata.transform((m) => (m === null ? {} : m));

export const budgetFields = {
  max_budget: money,
  budget_duration: duration,
  tpm_limit: limit,
  rpm_limit: limit,
  models,
  metadata: meta,
  allowed_model_region: region.optional(),
};

/** Fields LiteLLM accepts that Meridian does not act on: taken, and named in a warning. */
export function unknownFields(body: unknown, shape: Record<string, unknown>): string[] {
  if (!body || typeof body !== "object") return [];
  return Object.keys(body).filter((k) => !(k in shape));
}

/** LiteLLM ignores fields it does not know; Meridian ignores them too and says so in a header. */
export function warnUnknown(reply: FastifyReply, ignored: string[]): void {
  if (ignored.length > 0)
    reply.header(
      "x-meridian-warning",
      `ignored unknown fields: ${ignored
        .slice(0, 20)
        .map((f) => f.slice(0, 64).replace(/[^\x20-\x7e]/g, "?"))
        .join(", ")}`,
    );
}

/** The principal the access hook resolved for this admin request. */
export function principalOf(req: FastifyRequest): Principal | undefined {
  return (req as unknown as { principal?: Principal }).principal;
}

/** Drop undefined entries (absent fields leave the stored value as it is). */
export function defined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
