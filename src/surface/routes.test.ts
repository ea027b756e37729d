import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu }
  - model_name: gpt-4o-az
    litellm_params: { model: azure/gpt4o-eu, api_base: "{{eu}}", api_key: az-key, api_version: latest, region_name: eu }
  - model_name: gpt-4o-az-preview
    litellm_params: { model: azure/gpt4o-eu, api_base: "{{eu}}/openai", api_key: az-key, api_version: preview, region_name: eu }
  - model_name: whisper-1
    litellm_params: { model: openai/whisper-1, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: audio_transcription }
general_settings:
  master_key: sk-1234
`;

function multipart(fields: Record<string, string>): { body: Buffer; type: string } {
  const b = "----test-boundary";
  let s = "";
  for (const [k, v] of Object.entries(fields))
    s += `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  return { body: Buffer.from(`${s}--${b}--\r\n`), type: `multipart/form-data; boundary=${b}` };
}

async function send(url: string, body: Buffer | string, type: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: "Bearer sk-1234", "content-type": type },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

describe("surface routes and bad input", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
  });
  afterAll(async () => h.close());

  it("a multipart body on a JSON route is 415 saying JSON was expected, never a JSON parse error", async () => {
    const m = multipart({ model: "gpt-4o", messages: "hi" });
    const r = await send(`${h.url}/v1/chat/completions`, m.body, m.type);
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe("unsupported_media_type");
    expect(r.json.error.message).toBe(
      "/v1/chat/completions takes a JSON (application/json) body (got Content-Type: multipart/form-data).",
    );
    expect(r.text).not.toMatch(/minus sign|not valid JSON/);
  });

  it("JSON on a multipart-only route is 415 saying multipart/form-data was expected", async () => {
    const r = await send(`${h.url}/v1/audio/transcriptions`, '{"model":"whisper-1"}', "application/json");
    expect(r.status).toBe(415);
    expect(r.json.error.message).toContain("multipart/form-data");
  });

  it("a transcription without its file part is 400 naming the part", async () => {
    const m = multipart({ model: "whisper-1" });
    const r = await send(`${h.url}/v1/audio/transcriptions`, m.body, m.type);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "invalid_multipart", param: "file" });
  });

  it("unknown routes are 404 whatever the content type", async () => {
    const m = multipart({ a: "b" });
    for (const [body, type] of [
      [m.body, m.type],
      ["{}", "application/json"],
      ["x", "text/plain"],
    ] as const) {
      const r = await send(`${h.url}/v1/no/such/route`, body, type);
      expect(r.status, type).toBe(404);
      expect(r.json.error.type).toBe("invalid_request_error");
    }
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);
  });

  it("Azure's v1 URL style {base}/openai/v1/chat/completions is routed like /v1/chat/completions", async () => {
    h.upstreams.eu.reset();
    const r = await post(
      `${h.url}/openai/v1/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
      { "api-key": "sk-1234" },
    );
    expect(r.status, r.text).toBe(200);
    expect(h.upstreams.eu.requests[0].url).toBe("/v1/chat/completions");
  });

  it("Azure deployments with api_version latest / preview call {api_base}/openai/v1/...", async () => {
    h.upstreams.eu.reset();
    for (const model of ["gpt-4o-az", "gpt-4o-az-preview"]) {
      const r = await post(
        `${h.url}/v1/chat/completions`,
        { model, messages: [{ role: "user", content: "hi" }] },
        h.auth,
      );
      expect(r.status, r.text).toBe(200);
    }
    const [latest, preview] = h.upstreams.eu.requests;
    expect(latest.url).toBe("/openai/v1/chat/completions");
    expect(preview.url).toBe("/openai/v1/chat/completions?api-version=preview");
    expect(latest.body?.model).toBe("gpt4o-eu");
    expect(latest.headers["api-key"]).toBe("az-key");
  });
});
