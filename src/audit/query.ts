import { createHash } from "node:crypto";
import { gatewayError } from "../errors.js";
import { isGeography, listGeographies } from "../regions/table.js";
import type { SpendFilter } from "../store/spend-logs.js";

export type Query = Record<string, string | string[] | undefined>;

const LAST_ISO_MS = Date.parse("9999-12-31T23:59:59.999Z");
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function bad(param: string, why: string): never {
  throw gatewayError("invalid_request", { reason: "invalid", param, why }, { param });
}

/** One value of a query parameter: a repeated one is refused rather than guessed. */
export function one(q: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = q[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) bad(name, "give it once");
    if (v.length > 512) bad(name, "longer than 512 characters");
    return v;
  }
  return undefined;
}

/**
 * A time bound: `YYYY-MM-DD` (LiteLLM's form; an end date covers its whole day) or ISO 8601 with a
 * zone. Returns an ISO instant in UTC.
 */
export function timeBound(param: string, v: string | undefined, end: boolean): string | undefined {
  if (v === undefined || v === "") return undefined;
  let ms: number;
  if (DATE_ONLY.test(v)) {
    ms = Date.parse(`${v}T00:00:00.000Z`);
    if (end) ms += 86_400_000;
  } else if (ISO.test(v)) ms = Date.parse(v);
  else bad(param, `expected YYYY-MM-DD or an ISO 8601 time with a zone, got "${v.slice(0, 40)}"`);
  if (!Number.isFinite(ms)) bad(param, `"${v.slice(0, 40)}" is not a real date`);
  // Past year 9999 an ISO string gains a sign and six digits (+010000-…), which sorts before every
  // stored time: an end bound there means no bound; a start bound there matches nothing that exists.
  if (ms > LAST_ISO_MS) {
    if (end) return undefined;
    bad(param, "must be before the year 10000");
  }
  const iso = new Date(ms).toISOString();
  // Date.parse rolls 2026-02-31 over to March: refuse what did not survive the round trip
  if (DATE_ONLY.test(v) && new Date(Date.parse(`${v}T00:00:00.000Z`)).toISOString().slice(0, 10) !== v)
    bad(param, `"${v}" is not a real date`);
  return iso;
}

export function intParam(q: Query, name: string, dflt: number, min: number, max: number): number {
  const v = one(q, name);
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < min || n > max)
    throw gatewayError("invalid_request", { reason: "not_integer", param: name, min, max }, { param: name });
  return n;
}

/** A key as LiteLLM accepts it in filters: the plaintext `sk-…` (hashed here) or its sha256 hex. */
function keyHash(v: string): string {
  return v.startsWith("sk-") ? createHash("sha256").update(v).digest("hex") : v;
}

/** GET /spend/logs and /audit/residency filters (LiteLLM's names, and Meridian's). */
export function spendFilter(q: Query): SpendFilter {
  const f: SpendFilter = {};
  const apiKey = one(q, "api_key");
  if (apiKey) f.apiKey = keyHash(apiKey);
  f.userId = one(q, "user_id") || undefined;
  f.requestId = one(q, "request_id") || undefined;
  f.endUser = one(q, "end_user", "customer_id", "end_user_id") || undefined;
  f.teamId = one(q, "team_id") || undefined;
  f.model = one(q, "model") || undefined;
  const g = one(q, "geography", "region");
  if (g) {
    if (!isGeography(g))
      bad("geography", `unknown geography "${g.slice(0, 40)}"; use one of: ${listGeographies().join(", ")}`);
    f.geography = g;
  }
  const status = one(q, "status");
  if (status) {
    if (status !== "success" && status !== "failure") bad("status", `expected "success" or "failure"`);
    f.status = status;
  }
  const startParam = q.start_date !== undefined ? "start_date" : "from";
  const endParam = q.end_date !== undefined ? "end_date" : "to";
  f.from = timeBound(startParam, one(q, startParam), false);
  f.to = timeBound(endParam, one(q, endParam), true);
  if (f.from && f.to && f.from >= f.to) bad(endParam, `must be after ${startParam}`);
  return f;
}

/** CSV asked for by `format=csv` or an Accept header preferring text/csv. */
export function wantsCsv(q: Query, accept: string | undefined): boolean {
  const format = one(q, "format");
  if (format !== undefined && format !== "" && format !== "csv" && format !== "json")
    bad("format", `expected "json" or "csv"`);
  if (format) return format === "csv";
  return accept !== undefined && /\btext\/csv\b/i.test(accept) && !/application\/json/i.test(accept);
}
