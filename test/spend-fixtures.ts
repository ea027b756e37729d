import type { SpendRecord } from "../src/audit/record.js";

/** A plausible served record; tests override what they check. */
export function sampleRecord(over: Partial<SpendRecord> = {}): SpendRecord {
  return {
    request_id: `call-${Math.random().toString(36).slice(2)}`,
    call_type: "chat",
    api_key: "",
    team_id: null,
    user: null,
    end_user: "cust-eu",
    model: "gpt-4o",
    model_group: "gpt-4o",
    model_id: "eu-1",
    custom_llm_provider: "openai",
    api_base: "https://eu.api.openai.com/v1",
    geography: "eu",
    region_name: "eu",
    region_source: "region_name",
    policy: JSON.stringify({
      allowed: ["eu"],
      sources: [{ source: "customer", id: "cust-eu", allowed: ["eu"] }],
    }),
    attempts: JSON.stringify([
      { deployment_id: "eu-1", model_group: "gpt-4o", geography: "eu", status: 200, code: null, ms: 12 },
    ]),
    prompt_tokens: 10,
    completion_tokens: 5,
    total_tokens: 15,
    spend: 0.000075,
    start_time: "2026-12-01T10:00:00.000Z",
    end_time: "2026-12-01T10:00:00.250Z",
    completion_start_time: null,
    status: "success",
    http_status: 200,
    error_code: null,
    cache_hit: 0,
    stream: null,
    messages: null,
    response: null,
    ...over,
  };
}
