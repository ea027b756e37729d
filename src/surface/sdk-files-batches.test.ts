import { randomBytes } from "node:crypto";
import OpenAI, { type APIError, toFile } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

/**
 * Files and batches with the official openai SDK: a file lives on the deployment that stored it, so
 * retrieve, content, delete and a batch over it go there and only there; a caller who may not use
 * that deployment is refused with zero upstream calls. Two eu deployments (eu, eu2) and one us.
 */
const YAML = `
model_list:
  - model_name: gpt-4o-batch
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: batch }
  - model_name: gpt-4o-batch
    litellm_params: { model: azure/gpt-4o-eu2, api_base: "{{eu2}}", api_key: az-eu2, api_version: "2024-10-21", region_name: eu }
    model_info: { mode: batch }
  - model_name: gpt-4o-batch
    litellm_params: { model: openai/gpt-4o, api_base: "{{us}}/v1", region_name: us }
    model_info: { mode: batch }
router_settings:
  num_retries: 1
  retry_after: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`;

const JSONL = Buffer.from(
  `${JSON.stringify({ custom_id: "1", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] } })}\n`,
);

describe("openai SDK: files and batches stay on the deployment that holds them", () => {
  let h: Harness;
  let eu: OpenAI;
  let us: OpenAI;
  const hits = () => Object.fromEntries(Object.entries(h.upstreams).map(([k, u]) => [k, u.hits]));
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu", "eu2", "us"] });
    for (const [user_id, region] of [
      ["cust-eu", "eu"],
      ["cust-us", "us"],
    ])
      expect(
        (await post(`${h.url}/end_user/new`, { user_id, allowed_model_region: region }, h.auth)).status,
      ).toBe(200);
    const client = (customer: string) =>
      new OpenAI({
        baseURL: `${h.url}/v1`,
        apiKey: "sk-1234",
        maxRetries: 0,
        defaultHeaders: { "x-litellm-customer-id": customer },
      });
    eu = client("cust-eu");
    us = client("cust-us");
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    for (const u of Object.values(h.upstreams)) u.reset();
  });

  it("upload, retrieve, content, batch create/retrieve/cancel, delete: all on the holder, in eu", async () => {
    const file = await eu.files.create({ file: await toFile(JSONL, "input.jsonl"), purpose: "batch" });
    const holder = file.id.startsWith("file-eu2-") ? "eu2" : "eu";
    expect(file.id).toMatch(/^file-eu2?-/);
    expect(file.bytes).toBe(JSONL.length);
    expect((await eu.files.retrieve(file.id)).filename).toBe("input.jsonl");
    const content = Buffer.from(await (await eu.files.content(file.id)).arrayBuffer());
    expect(content.equals(JSONL)).toBe(true);

    const batch = await eu.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(batch.id.startsWith(`batch-${holder}-`)).toBe(true);
    expect((await eu.batches.retrieve(batch.id)).input_file_id).toBe(file.id);
    expect((await eu.batches.cancel(batch.id)).status).toBe("cancelling");
    expect((await eu.files.delete(file.id)).deleted).toBe(true);
    // forgotten with the upstream's copy: a later lookup is our 404, not a call
    const before = hits();
    const gone = await eu.files.retrieve(file.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect((gone as APIError).code).toBe("object_not_found");
    expect(hits()).toEqual(before);

    const other = holder === "eu" ? "eu2" : "eu";
    expect(h.upstreams[holder].hits).toBe(7);
    expect(h.upstreams[other].hits).toBe(0);
    expect(h.upstreams.us.hits).toBe(0);
    const urls = h.upstreams[holder].requests.map((r) => `${r.method} ${r.url}`);
    const base = holder === "eu" ? "/v1" : "/openai";
    const q = holder === "eu" ? "" : "?api-version=2024-10-21";
    expect(urls).toEqual([
      `POST ${base}/files${q}`,
      `GET ${base}/files/${file.id}${q}`,
      `GET ${base}/files/${file.id}/content${q}`,
      `POST ${base}/batches${q}`,
      `GET ${base}/batches/${batch.id}${q}`,
      `POST ${base}/batches/${batch.id}/cancel${q}`,
      `DELETE ${base}/files/${file.id}${q}`,
    ]);
    // the upload named no model upstream: the model only chose the deployment
    expect(h.upstreams[holder].requests[0].form?.fields).toEqual({ purpose: "batch" });
  });

  it("a follow-up from a caller who may not use the holder is 403, with zero upstream calls", async () => {
    const file = await eu.files.create({ file: await toFile(JSONL, "input.jsonl"), purpose: "batch" });
    const before = hits();
    for (const attempt of [
      () => us.files.retrieve(file.id),
      () => us.files.content(file.id),
      () => us.files.delete(file.id),
      () =>
        us.batches.create({
          input_file_id: file.id,
          endpoint: "/v1/chat/completions",
          completion_window: "24h",
        }),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((err as APIError).code).toBe("object_outside_region");
      expect((err as APIError).message).toContain(file.id);
    }
    expect(hits()).toEqual(before);
  });

  it("a failed follow-up retries on the same deployment, never another", async () => {
    const file = await eu.files.create({
      file: await toFile(randomBytes(2048), "x.jsonl"),
      purpose: "batch",
    });
    const holder = file.id.startsWith("file-eu2-") ? "eu2" : "eu";
    const other = holder === "eu" ? "eu2" : "eu";
    h.upstreams[holder].next({ status: 503 });
    expect((await eu.files.retrieve(file.id)).id).toBe(file.id);
    expect(h.upstreams[holder].hits).toBe(3);
    expect(h.upstreams[other].hits).toBe(0);
  });

  it("unknown ids are 404 in OpenAI's shape, nothing sent; lists go to an eu deployment", async () => {
    const err = await eu.files.retrieve("file-nobody").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as APIError).code).toBe("object_not_found");
    expect(hits()).toEqual({ eu: 0, eu2: 0, us: 0 });
    const page = await eu.files.list();
    expect(Array.isArray(page.data)).toBe(true);
    expect(h.upstreams.us.hits).toBe(0);
    expect(h.upstreams.eu.hits + h.upstreams.eu2.hits).toBe(1);
  });
});
