import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

/** POST /v1/files takes an upload only: anything else is refused before a byte goes upstream. */
const YAML = `
model_list:
  - model_name: gpt-4o-batch
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-eu, region_name: eu }
    model_info: { mode: batch }
general_settings:
  master_key: sk-1234
`;

describe("POST /v1/files is held to multipart/form-data with a file part", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu"] });
  });
  afterAll(async () => h.close());
  beforeEach(() => h.upstreams.eu.reset());

  const upload = (form: FormData) =>
    fetch(`${h.url}/v1/files`, { method: "POST", headers: h.auth, body: form }).then(async (r) => ({
      status: r.status,
      json: await r.json(),
    }));

  it("a JSON body is 415 unsupported_media_type, as /v1/audio/transcriptions answers one; nothing sent", async () => {
    const r = await post(`${h.url}/v1/files`, { purpose: "batch" }, h.auth);
    expect(r.status, r.text).toBe(415);
    expect(r.json.error).toEqual({
      message: "/v1/files takes a multipart/form-data body (got Content-Type: application/json).",
      type: "invalid_request_error",
      param: null,
      code: "unsupported_media_type",
    });
    const audio = await post(`${h.url}/v1/audio/transcriptions`, { model: "whisper-1" }, h.auth);
    expect([audio.status, audio.json.error.code]).toEqual([415, "unsupported_media_type"]);
    expect(h.upstreams.eu.hits).toBe(0);
  });

  it("no Content-Type at all is 415 too; nothing sent", async () => {
    const r = await fetch(`${h.url}/openai/v1/files`, { method: "POST", headers: h.auth });
    expect(r.status).toBe(415);
    expect((await r.json()).error.message).toContain("(got Content-Type: (none))");
    expect(h.upstreams.eu.hits).toBe(0);
  });

  it("a form without a `file` part is 400 invalid_multipart naming file; nothing sent", async () => {
    const fields = new FormData();
    fields.set("purpose", "batch");
    const misnamed = new FormData();
    misnamed.set("purpose", "batch");
    misnamed.set("upload", new Blob(['{"custom_id":"1"}\n']), "in.jsonl");
    for (const form of [fields, misnamed]) {
      const r = await upload(form);
      expect(r.status).toBe(400);
      expect(r.json.error).toEqual({
        message: "Missing required file part: file.",
        type: "invalid_request_error",
        param: "file",
        code: "invalid_multipart",
      });
    }
    expect(h.upstreams.eu.hits).toBe(0);
  });

  it("an upload with its file part is still created upstream", async () => {
    const form = new FormData();
    form.set("purpose", "batch");
    form.set("file", new Blob(['{"custom_id":"1"}\n']), "in.jsonl");
    const r = await upload(form);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.id).toMatch(/^file-/);
    expect(h.upstreams.eu.hits).toBe(1);
  });
});
