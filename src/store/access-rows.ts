/** Row <-> object for keys, teams and users: booleans as 0/1, JSON as text, numbers from either driver. */

const JSON_COLUMNS = new Set(["models", "aliases", "metadata"]);
const BOOL_COLUMNS = new Set(["blocked"]);
const NUMBER_COLUMNS = new Set(["spend", "max_budget", "tpm_limit", "rpm_limit", "max_parallel_requests"]);

export function fromRow<T>(row: object): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (JSON_COLUMNS.has(k)) out[k] = JSON.parse(v as string);
    else if (BOOL_COLUMNS.has(k)) out[k] = Number(v) === 1;
    else if (NUMBER_COLUMNS.has(k)) out[k] = v === null ? null : Number(v);
    else out[k] = v;
  }
  return out as T;
}

export function toRow(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (JSON_COLUMNS.has(k)) out[k] = JSON.stringify(v);
    else if (BOOL_COLUMNS.has(k)) out[k] = v ? 1 : 0;
    else out[k] = v;
  }
  return out;
}

/** A unique-constraint violation, on either driver. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e?.code === "23505" ||
    e?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    /UNIQUE constraint/.test(e?.message ?? "")
  );
}
