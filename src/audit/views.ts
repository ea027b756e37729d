import type { ChainedRecord } from "./record.js";

const parse = (s: string | null): unknown => {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

/** A record as GET /spend/logs shows it: LiteLLM's column names, then Meridian's additions. */
export function spendLogView(r: ChainedRecord): Record<string, unknown> {
  return {
    request_id: r.request_id,
    call_type: r.call_type,
    api_key: r.api_key,
    spend: r.spend,
    total_tokens: r.total_tokens,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    startTime: r.start_time,
    endTime: r.end_time,
    completionStartTime: r.completion_start_time,
    model: r.model,
    model_id: r.model_id,
    model_group: r.model_group,
    custom_llm_provider: r.custom_llm_provider,
    api_base: r.api_base,
    user: r.user,
    end_user: r.end_user,
    team_id: r.team_id,
    metadata: {},
    cache_hit: r.cache_hit ? "True" : "False",
    cache_key: null,
    request_tags: [],
    status: r.status,
    requester_ip_address: null,
    messages: parse(r.messages),
    response: parse(r.response),
    // Meridian: where it was served, why it was allowed there, how it got there
    geography: r.geography,
    region_name: r.region_name,
    region_source: r.region_source,
    policy: parse(r.policy),
    attempts: parse(r.attempts),
    http_status: r.http_status,
    error_code: r.error_code,
    stream: r.stream,
    chain: { instance_id: r.instance_id, seq: r.seq, prev_hash: r.prev_hash, hash: r.hash },
  };
}

export const SPEND_CSV_COLUMNS = [
  "request_id",
  "call_type",
  "api_key",
  "spend",
  "total_tokens",
  "prompt_tokens",
  "completion_tokens",
  "start_time",
  "end_time",
  "completion_start_time",
  "model",
  "model_id",
  "model_group",
  "custom_llm_provider",
  "api_base",
  "user",
  "end_user",
  "team_id",
  "status",
  "http_status",
  "error_code",
  "geography",
  "region_name",
  "region_source",
  "policy",
  "attempts",
  "instance_id",
  "seq",
  "hash",
] as const;

/** RFC 4180 field; a leading = + - @ is prefixed with ' so spreadsheets do not run it as a formula. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  let s = typeof v === "string" ? v : String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

export function spendCsv(rows: readonly ChainedRecord[]): string {
  let out = csvLine(SPEND_CSV_COLUMNS);
  for (const r of rows) out += csvLine(SPEND_CSV_COLUMNS.map((c) => r[c]));
  return out;
}
