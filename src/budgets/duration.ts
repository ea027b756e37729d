/**
 * LiteLLM's durations (`duration`, `budget_duration`): an integer and a unit — s, m, h, d, w, mo
 * ("30s", "30m", "30h", "30d", "1w", "1mo"). Anything else is invalid.
 */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^(\d{1,6})(s|m|h|d|w|mo)$/;

export function isDuration(s: string): boolean {
  const m = PATTERN.exec(s);
  return m !== null && Number(m[1]) > 0;
}

/** The time `duration` after `from` (ISO in, ISO out); months are calendar months, as LiteLLM's. */
export function addDuration(duration: string, from: string | Date): string {
  const m = PATTERN.exec(duration);
  if (!m) throw new Error(`invalid duration "${duration}"`);
  const n = Number(m[1]);
  const t = new Date(from);
  if (m[2] === "mo") {
    t.setUTCMonth(t.getUTCMonth() + n);
    return t.toISOString();
  }
  return new Date(t.getTime() + n * UNIT_MS[m[2]]).toISOString();
}
