import type { RecordedRequest } from "../../src/demo/fake-upstream.js";
import type { Answer } from "./client.js";

/**
 * Pure bookkeeping for the fault suite: who reached which upstream (read from what the upstream
 * received, not from the gateway's headers), what each answer was, and the report table.
 */

const MARK = /\[fault-cust:([^\]\s]+)\]/;

/** Put into every prompt, so an upstream can tell whose request it received. */
export function marker(customer: string, tag = ""): string {
  return `[fault-cust:${customer}]${tag ? `[${tag}]` : ""}`;
}

/** The customer a request at the upstream belongs to: the prompt's marker, else the body's `user`. */
export function customerOf(body: Record<string, unknown> | undefined): string | undefined {
  if (!body) return undefined;
  const found = MARK.exec(JSON.stringify(body.messages ?? body.prompt ?? body.input ?? ""));
  if (found) return found[1];
  return typeof body.user === "string" ? body.user : undefined;
}

export function tagsOf(body: Record<string, unknown> | undefined): string[] {
  if (!body) return [];
  const text = JSON.stringify(body.messages ?? body.prompt ?? "");
  const m = /\[fault-cust:[^\]]+\]((?:\[[^\]]+\])*)/.exec(text);
  return m ? [...m[1].matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]) : [];
}

export interface Received {
  /** The fake upstream's region ("eu", "us") or null for the unassigned one. */
  region: string | null;
  label: string;
  requests: readonly RecordedRequest[];
}

export interface Violation {
  customer: string;
  pinned: string;
  reached: string;
  tags: string[];
}

/**
 * Every request of a pinned customer that an upstream outside the customer's region received.
 * `pinOf` answers the region a request must have stayed in (it may depend on the request's tags).
 */
export function outOfRegion(
  upstreams: readonly Received[],
  pinOf: (customer: string, tags: string[]) => string | null | undefined,
): Violation[] {
  const out: Violation[] = [];
  for (const u of upstreams)
    for (const r of u.requests) {
      const customer = customerOf(r.body);
      if (!customer) continue;
      const tags = tagsOf(r.body);
      const pinned = pinOf(customer, tags);
      if (pinned && u.region !== pinned) out.push({ customer, pinned, reached: u.label, tags });
    }
  return out;
}

/** Requests each upstream received per customer, for the report. */
export function receivedBy(upstreams: readonly Received[]): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const u of upstreams) {
    const row: Record<string, number> = {};
    for (const r of u.requests) {
      const c = customerOf(r.body) ?? "(none)";
      row[c] = (row[c] ?? 0) + 1;
    }
    table[u.label] = row;
  }
  return table;
}

export interface EnvelopeCheck {
  ok: boolean;
  code?: string;
  why?: string;
}

/** An OpenAI-style error envelope with a string code, and nothing that looks like a stack trace. */
export function checkEnvelope(text: string): EnvelopeCheck {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return { ok: false, why: `not JSON: ${text.slice(0, 80)}` };
  }
  const e = (j as { error?: Record<string, unknown> } | null)?.error;
  if (!e || typeof e !== "object") return { ok: false, why: "no error object" };
  if (typeof e.message !== "string" || typeof e.type !== "string") return { ok: false, why: "message/type" };
  if (!("param" in e)) return { ok: false, why: "no param" };
  if (typeof e.code !== "string" || e.code === "") return { ok: false, why: "no code" };
  if (/\n\s+at |node_modules|\.[jt]s:\d+/.test(text)) return { ok: false, code: e.code, why: "stack trace" };
  return { ok: true, code: e.code };
}

/**
 * One answer, named: `ok`, `stream-ok`, `stream-error-event` (an upstream failure after the stream
 * was committed, ended with an error event), `<status> <code>` for an enveloped error, or
 * `CRASH:<why>` — a reset, a hang, a truncated answer or an error that is not an envelope.
 */
export function classify(a: Answer, streaming: boolean): string {
  if (a.error) return `CRASH:${a.error}`;
  if (a.truncated) return `CRASH:truncated ${a.status}`;
  if (a.status === 200 && streaming) {
    if (!String(a.headers["content-type"] ?? "").includes("text/event-stream"))
      return "CRASH:stream answered without event-stream";
    if (a.text.includes('data: {"error"')) return "stream-error-event";
    if (!a.text.includes("data: [DONE]")) return "CRASH:stream without [DONE]";
    // a stream that ends well but carried no text is an upstream failure passed off as success
    return /"(content|text)":"[^"]/.test(a.text) ? "stream-ok" : "CRASH:stream without content";
  }
  if (a.status === 200) {
    try {
      const j = JSON.parse(a.text) as { choices?: unknown[] };
      return Array.isArray(j.choices) ? "ok" : "CRASH:200 without choices";
    } catch {
      return "CRASH:200 not JSON";
    }
  }
  const env = checkEnvelope(a.text);
  if (!env.ok) return `CRASH:${a.status} ${env.why}`;
  if (a.status >= 500 && env.code === "internal_error") return `CRASH:${a.status} internal_error`;
  return `${a.status} ${env.code}`;
}

export function tally(outcomes: readonly string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

export const crashes = (t: Record<string, number>): number =>
  Object.entries(t).reduce((n, [k, v]) => (k.startsWith("CRASH:") ? n + v : n), 0);

/** A plain two-column table, printed at the end of the run. */
export function table(title: string, rows: ReadonlyArray<readonly [string, string | number]>): string {
  const w = Math.max(...rows.map(([k]) => k.length), 10);
  return [`${title}`, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join("\n");
}

/** "cust-eu-1 → us1 ×3, …" for the report. */
export function describeViolations(out: readonly Violation[]): string {
  const t = tally(
    out.map(
      (v) => `${v.customer} (${v.pinned})${v.tags.length ? ` [${v.tags.join(",")}]` : ""} → ${v.reached}`,
    ),
  );
  return Object.entries(t)
    .map(([k, n]) => `${k} ×${n}`)
    .join(", ");
}
