import type { GatewayError } from "../errors.js";
import type { AttemptRecord } from "../router/attempt.js";
import { type Deployment, publicApiBase } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Usage } from "../wire/usage.js";

/**
 * One request as the spend log keeps it: LiteLLM's `LiteLLM_SpendLogs` columns (snake_case here,
 * LiteLLM's camelCase names in the API view) plus where it was served, the policy with its sources
 * and every attempt. The chain fields are added by the writer. JSON-valued columns are kept as the
 * text that was hashed, so the database holds exactly what the chain covers.
 */
export interface SpendRecord {
  request_id: string;
  call_type: string;
  /** sha256 of the virtual key; "" for the master key or an open gateway. */
  api_key: string;
  team_id: string | null;
  user: string | null;
  end_user: string | null;
  /** The model the client named. */
  model: string | null;
  model_group: string | null;
  model_id: string | null;
  custom_llm_provider: string | null;
  api_base: string | null;
  /** Geography of the serving deployment (null: unassigned or nothing served). */
  geography: string | null;
  /** The deployment's raw region (region_name or the cloud region it was inferred from). */
  region_name: string | null;
  /** How the geography was known: region_name (configured), what it was inferred from, or cache_entry. */
  region_source: string | null;
  /** JSON: {"allowed": [..] | null, "sources": [{source, id, allowed}]} */
  policy: string;
  /** JSON: [{deployment_id, model_group, geography, status, code, ms}] */
  attempts: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  spend: number;
  start_time: string;
  end_time: string;
  completion_start_time: string | null;
  status: "success" | "failure";
  http_status: number;
  error_code: string | null;
  cache_hit: number;
  /** How a stream ended (completed, client_closed, upstream_error); null for a whole answer. */
  stream: string | null;
  /** JSON; null unless store_prompts_in_spend_logs. */
  messages: string | null;
  response: string | null;
}

/** The chain fields each stored record carries. */
export interface ChainFields {
  instance_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
}

export type ChainedRecord = SpendRecord & ChainFields;

/** What the accounting stage knows about one request when it is written. */
export interface RecordInput {
  callId: string;
  op: string;
  /** Who called: the request's principal (its key hash, team and user; none for the master key). */
  who: { readonly keyHash?: string; readonly teamId?: string; readonly userId?: string };
  model: string | undefined;
  group: string | undefined;
  policy: RegionPolicy;
  deployment: Deployment | undefined;
  attempts: readonly AttemptRecord[];
  usage: Usage | undefined;
  cost: number | undefined;
  /** epoch ms */
  startMs: number;
  endMs: number;
  firstChunkMs: number | undefined;
  httpStatus: number;
  /** Why it failed; only its code is kept (an admin refusal knows no more than the code it sent). */
  error: GatewayError | AttemptFailure | { readonly code: string } | undefined;
  stream: string | undefined;
  /** The code a stream ended with, when it ended in error (the client saw it in the last event). */
  streamCode?: string;
  prompt?: unknown;
  /** The answer: a value, or the bytes as sent (JSON is parsed, anything else kept as text). */
  response?: unknown;
  /** Answered from the response cache (src/cache/): no deployment was called. */
  cacheHit?: boolean;
  /** A cache hit's origin: the deployment that produced the answer, and where, as stored with it. */
  cachedFrom?: { readonly deployment: string; readonly geography: string | null };
}

/**
 * The call type of a request Fastify answered (admin API, reports; http/admin-records.ts): the method
 * and route pattern, `POST /key/generate`, which no model operation's call type looks like.
 */
export function routeCallType(method: string, route: string): string {
  return `${method} ${route}`;
}

export function isRouteRecord(callType: string): boolean {
  return callType.includes(" /");
}

/** A stream's end, as an error code, when nothing more precise is known. */
const STREAM_END_CODES: Record<string, string> = {
  shutdown: "shutting_down",
  upstream_error: "upstream_error",
};

/** The record of one request. Never throws: what cannot be serialised is written as a note instead. */
export function buildRecord(i: RecordInput): SpendRecord {
  const d = i.deployment;
  // A cache hit is recorded as served where its answer was produced: the residency report counts
  // it there, and checks that geography against the caller's policy like any other.
  const from = d === undefined && i.cacheHit ? i.cachedFrom : undefined;
  const usage = i.usage;
  // a stream whose status line said 200 and that then ended in error (upstream cut, shutdown) failed
  const streamError = i.stream === "upstream_error" || i.stream === "shutdown";
  const ok = i.error === undefined && i.httpStatus < 400 && !streamError;
  return {
    request_id: i.callId,
    call_type: i.op,
    api_key: i.who.keyHash ?? "",
    team_id: storable(i.who.teamId),
    user: storable(i.who.userId),
    end_user: storable(i.policy.endUserId),
    model: storable(i.model ?? i.group),
    model_group: storable(i.group),
    model_id: d?.id ?? from?.deployment ?? null,
    custom_llm_provider: d?.provider ?? null,
    api_base: d ? apiBaseOf(d) : null,
    geography: d?.geography ?? from?.geography ?? null,
    region_name: d?.regionName ?? null,
    region_source: d?.regionSource ?? (from ? "cache_entry" : null),
    policy: policyJson(i.policy),
    attempts: attemptsJson(i.attempts),
    prompt_tokens: count(usage?.prompt),
    completion_tokens: count(usage?.completion),
    total_tokens: count(usage?.total),
    spend: finite(i.cost),
    start_time: iso(i.startMs),
    end_time: iso(i.endMs),
    completion_start_time: i.firstChunkMs === undefined ? null : iso(i.firstChunkMs),
    status: ok ? "success" : "failure",
    http_status: i.httpStatus,
    error_code: i.error
      ? String(i.error.code)
      : streamError
        ? (i.streamCode ?? STREAM_END_CODES[i.stream as string])
        : null,
    cache_hit: i.cacheHit ? 1 : 0,
    stream: i.stream ?? null,
    messages: i.prompt === undefined ? null : safeJson(i.prompt),
    response: i.response === undefined ? null : safeJson(answerOf(i.response)),
  };
}

// NUL and an unpaired surrogate (JSON lets a client send both, in `user` or `model`): Postgres
// refuses NUL in text, failing the whole batch and every batch queued behind it, and both databases
// store a lone surrogate as something else than the text that was hashed, so an intact record would
// verify as edited. Such a unit is recorded as U+FFFD, before hashing.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is looked for
const UNSTORABLE = /[\u0000\ud800-\udfff]/;

function storable(s: string | undefined): string | null {
  if (s === undefined) return null;
  if (!UNSTORABLE.test(s)) return s;
  return (s as string & { toWellFormed(): string }).toWellFormed().replaceAll("\u0000", "\ufffd");
}

// A served request's policy and deployment are mostly the same few objects (a cached customer's
// policy, the config's deployments): their record text is computed once per object (issue 15's
// "accounting on within 10 % of off").
const policyTexts = new WeakMap<RegionPolicy, string>();
const apiBases = new WeakMap<Deployment, string | null>();

function apiBaseOf(d: Deployment): string | null {
  let s = apiBases.get(d);
  if (s === undefined) {
    s = publicApiBase(d.apiBase) ?? null;
    apiBases.set(d, s);
  }
  return s;
}

function attemptsJson(attempts: readonly AttemptRecord[]): string {
  const out: unknown[] = [];
  for (const a of attempts)
    out.push({
      deployment_id: a.deploymentId,
      model_group: a.group,
      geography: a.geography,
      status: a.status,
      code: a.code,
      ms: a.ms,
    });
  return safeJson(out);
}

export function policyJson(p: RegionPolicy): string {
  let s = policyTexts.get(p);
  if (s === undefined) {
    s = policyText(p);
    policyTexts.set(p, s);
  }
  return s;
}

function policyText(p: RegionPolicy): string {
  return safeJson({
    allowed: p.allowed === null ? null : [...p.allowed].sort(),
    sources: p.sources.map((s) => ({ source: s.source, id: s.id ?? null, allowed: [...s.allowed].sort() })),
  });
}

/** JSON text of a value, or a note saying why it could not be written (cycles, BigInt, depth). */
export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "null";
  } catch (err) {
    return JSON.stringify({ unserialisable: String((err as Error)?.message ?? err).slice(0, 200) });
  }
}

function answerOf(v: unknown): unknown {
  if (!(v instanceof Uint8Array)) return v;
  const text = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A token count as both databases store it exactly: a whole number from 0 to 2^53 - 1. An upstream
 * can report anything (1e20 does not fit a bigint, 1.5 not an integer column); what it said beyond
 * that is recorded at the bound.
 */
function count(n: number | undefined): number {
  if (n === undefined || !(n > 0)) return 0;
  return Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER);
}

function finite(n: number | undefined): number {
  return n !== undefined && Number.isFinite(n) ? n : 0;
}

// A record's times fall in the same few seconds: the date and time up to the second is made once
// per second, the milliseconds appended (toISOString per time cost a fifth of a record's build).
let isoSecond = Number.NaN;
let isoPrefix = "";

function iso(ms: number): string {
  let t = Math.trunc(Number.isFinite(ms) ? ms : 0); // as Date does
  if (Math.abs(t) > 8.64e15) t = 0; // beyond Date's range: the epoch, as before
  const second = Math.floor(t / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    isoSecond = second;
  }
  return `${isoPrefix}${String(1000 + (t - second * 1000)).slice(1)}Z`;
}

/** Column order of the canonical form: every content field, in this fixed order. */
export const RECORD_FIELDS: readonly (keyof SpendRecord)[] = [
  "request_id",
  "call_type",
  "api_key",
  "team_id",
  "user",
  "end_user",
  "model",
  "model_group",
  "model_id",
  "custom_llm_provider",
  "api_base",
  "geography",
  "region_name",
  "region_source",
  "policy",
  "attempts",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "spend",
  "start_time",
  "end_time",
  "completion_start_time",
  "status",
  "http_status",
  "error_code",
  "cache_hit",
  "stream",
  "messages",
  "response",
];

/**
 * `a`, `b`, then a record's content fields as values in RECORD_FIELDS order (a test holds the two
 * together), a missing one as null: what the chain hashes (after the instance and sequence number)
 * and the database stores (after the two hashes). Written out, with the two leading values in the
 * same literal: a lookup per field by a computed key, or a spread into a second array, cost more
 * than the sha256 of the record (issue 15's "accounting on within 10 % of off").
 */
export function recordValues(r: SpendRecord, a: unknown, b: unknown): unknown[] {
  return [
    a,
    b,
    r.request_id ?? null,
    r.call_type ?? null,
    r.api_key ?? null,
    r.team_id ?? null,
    r.user ?? null,
    r.end_user ?? null,
    r.model ?? null,
    r.model_group ?? null,
    r.model_id ?? null,
    r.custom_llm_provider ?? null,
    r.api_base ?? null,
    r.geography ?? null,
    r.region_name ?? null,
    r.region_source ?? null,
    r.policy ?? null,
    r.attempts ?? null,
    r.prompt_tokens ?? null,
    r.completion_tokens ?? null,
    r.total_tokens ?? null,
    r.spend ?? null,
    r.start_time ?? null,
    r.end_time ?? null,
    r.completion_start_time ?? null,
    r.status ?? null,
    r.http_status ?? null,
    r.error_code ?? null,
    r.cache_hit ?? null,
    r.stream ?? null,
    r.messages ?? null,
    r.response ?? null,
  ];
}
