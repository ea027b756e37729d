import { createHash, randomBytes } from "node:crypto";
import OpenAI, { type APIError, toFile } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

/**
 * The official openai SDK against the rest of the surface (issue 17): moderations, images, speech,
 * transcriptions and translations with a real multipart file. The customer is pinned to eu; every
 * group also has a us deployment that must never be called.
 */
const YAML = `
model_list:
  - model_name: omni-moderation-latest
    litellm_params: { model: openai/omni-moderation-latest, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: moderation }
  - model_name: omni-moderation-latest
    litellm_params: { model: openai/omni-moderation-latest, api_base: "{{us}}/v1", region_name: us }
    model_info: { mode: moderation }
  - model_name: dall-e-3
    litellm_params: { model: azure/dalle3-eu, api_base: "{{eu}}", api_key: az-eu, api_version: v1, region_name: eu }
    model_info: { mode: image_generation }
  - model_name: dall-e-3
    litellm_params: { model: openai/dall-e-3, api_base: "{{us}}/v1", region_name: us }
    model_info: { mode: image_generation }
  - model_name: tts-1
    litellm_params: { model: openai/tts-1, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: audio_speech }
  - model_name: tts-1
    litellm_params: { model: openai/tts-1, api_base: "{{us}}/v1", region_name: us }
    model_info: { mode: audio_speech }
  - model_name: whisper-1
    litellm_params: { model: openai/whisper-eu-a, api_base: "{{eu}}/v1", region_name: eu, order: 1 }
    model_info: { mode: audio_transcription }
  - model_name: whisper-1
    litellm_params: { model: azure/whisper-eu-b, api_base: "{{eu2}}", api_key: az-eu2, api_version: "2024-10-21", region_name: eu, order: 2 }
    model_info: { mode: audio_transcription }
  - model_name: whisper-1
    litellm_params: { model: openai/whisper-1, api_base: "{{us}}/v1", region_name: us }
    model_info: { mode: audio_transcription }
  - model_name: rerank-v1
    litellm_params: { model: openai/rerank-eu, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: rerank }
  - model_name: rerank-v1
    litellm_params: { model: openai/rerank-us, api_base: "{{us}}/v1", region_name: us }
    model_info: { mode: rerank }
  - model_name: text-embedding-3-small
    litellm_params: { model: openai/text-embedding-3-small, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: embedding }
router_settings:
  num_retries: 1
  retry_after: 0
  enable_pre_call_checks: true
general_settings:
  master_key: sk-1234
`;

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("openai SDK: moderations, images, audio through the gateway, eu only", () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu", "eu2", "us"] });
    const c = await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth);
    expect(c.status).toBe(200);
    client = new OpenAI({
      baseURL: `${h.url}/v1`,
      apiKey: "sk-1234",
      maxRetries: 0,
      defaultHeaders: { "x-litellm-customer-id": "cust-eu" },
    });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    for (const u of Object.values(h.upstreams)) u.reset();
  });
  const usHits = () => h.upstreams.us.hits;

  it("moderations.create, with and without a model", async () => {
    const r = await client.moderations.create({ model: "omni-moderation-latest", input: ["a", "b"] });
    expect(r.id).toMatch(/^modr-fake-eu/);
    expect(r.results).toHaveLength(2);
    const bare = await client.moderations.create({ input: "no model named" });
    expect(bare.id).toMatch(/^modr-fake-eu/);
    expect(h.upstreams.eu.requests.map((q) => q.url)).toEqual(["/v1/moderations", "/v1/moderations"]);
    expect(h.upstreams.eu.requests[1].body?.model).toBe("omni-moderation-latest");
    expect(usHits()).toBe(0);
  });

  it("images.generate on an Azure v1 deployment: /openai/v1/images/generations, deployment as model", async () => {
    const { data: r, response } = await client.images
      .generate({ model: "dall-e-3", prompt: "a lighthouse", response_format: "b64_json" })
      .withResponse();
    expect(Buffer.from(r.data?.[0].b64_json ?? "", "base64").toString()).toBe("fake image from eu");
    expect(response.headers.get("x-litellm-model-region")).toBe("eu");
    const up = h.upstreams.eu.requests[0];
    expect(up.url).toBe("/openai/v1/images/generations");
    expect(up.headers["api-key"]).toBe("az-eu");
    expect(up.body?.model).toBe("dalle3-eu");
    expect(usHits()).toBe(0);
  });

  it("audio.speech: the audio bytes pass through with the upstream's content type", async () => {
    const res = await client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "bonjour" });
    expect(res.headers.get("content-type")).toBe("audio/mpeg");
    expect(res.headers.get("x-litellm-model-region")).toBe("eu");
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe("ID3 fake speech from eu: bonjour");
    expect(usHits()).toBe(0);
  });

  it("audio.transcriptions with a real 3 MB file (the file part first, as the SDK sends it)", async () => {
    const audio = randomBytes(3 * 1024 * 1024);
    const r = await client.audio.transcriptions.create({
      file: await toFile(audio, "meeting.mp3", { type: "audio/mpeg" }),
      model: "whisper-1",
      language: "fr",
    });
    expect(r.text).toBe(`Transcribed by eu: ${audio.length} bytes of meeting.mp3`);
    const up = h.upstreams.eu.requests[0];
    expect(up.url).toBe("/v1/audio/transcriptions");
    expect(up.form?.fields).toMatchObject({ model: "whisper-eu-a", language: "fr" });
    expect(up.form?.files).toEqual([
      {
        name: "file",
        filename: "meeting.mp3",
        contentType: "audio/mpeg",
        size: audio.length,
        sha256: sha(audio),
      },
    ]);
    expect(usHits()).toBe(0);
  });

  it("a failed upload is retried on the next eu deployment with the same bytes; text format passes through", async () => {
    h.upstreams.eu.next({ status: 500 });
    const audio = randomBytes(1536 * 1024);
    const r = await client.audio.translations.create({
      file: await toFile(audio, "talk.wav", { type: "audio/wav" }),
      model: "whisper-1",
      response_format: "text",
    });
    expect(String(r).trim()).toBe(`Transcribed by eu2: ${audio.length} bytes of talk.wav`);
    expect(h.upstreams.eu.hits).toBe(1);
    const up = h.upstreams.eu2.requests[0];
    expect(up.url).toBe("/openai/deployments/whisper-eu-b/audio/translations?api-version=2024-10-21");
    expect(up.form?.files[0].sha256).toBe(sha(audio));
    expect(usHits()).toBe(0);
  });

  it("images.edit sends the image as multipart to the Azure v1 deployment; rerank passes JSON through", async () => {
    const png = randomBytes(4096);
    const r = await client.images.edit({
      model: "dall-e-3",
      image: await toFile(png, "in.png", { type: "image/png" }),
      prompt: "add a hat",
      response_format: "b64_json",
    });
    expect(Buffer.from(r.data?.[0].b64_json ?? "", "base64").toString()).toBe("fake image from eu");
    const up = h.upstreams.eu.requests[0];
    expect(up.url).toBe("/openai/v1/images/edits");
    expect(up.form?.fields).toMatchObject({ model: "dalle3-eu", prompt: "add a hat" });
    expect(up.form?.files[0]).toMatchObject({ name: "image", filename: "in.png", sha256: sha(png) });

    const rr = await post(
      `${h.url}/v1/rerank`,
      { model: "rerank-v1", query: "capital of France", documents: ["Paris", "Berlin"] },
      { ...h.auth, "x-litellm-customer-id": "cust-eu" },
    );
    expect(rr.status, rr.text).toBe(200);
    expect(rr.json.results).toHaveLength(2);
    expect(h.upstreams.eu.requests[1].body?.model).toBe("rerank-eu");
    expect(usHits()).toBe(0);
  });

  it("a group without an eu deployment is refused before any byte leaves", async () => {
    const only = await startHarness({
      yaml: YAML.replace(/ {2}- model_name: whisper-1\n[^\n]*region_name: eu[^\n]*\n[^\n]*\n/g, ""),
      shared: h.upstreams,
      upstreams: [],
    });
    try {
      await post(`${only.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, only.auth);
      const c = new OpenAI({
        baseURL: `${only.url}/v1`,
        apiKey: "sk-1234",
        maxRetries: 0,
        defaultHeaders: { "x-litellm-customer-id": "cust-eu" },
      });
      const err = await c.audio.transcriptions
        .create({ file: await toFile(Buffer.from("x"), "a.mp3"), model: "whisper-1" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((err as APIError).code).toBe("no_deployment_in_region");
      expect(usHits()).toBe(0);
    } finally {
      await only.close();
    }
  });

  it("a mode the group does not serve is a 400 mode_not_supported, nothing sent", async () => {
    const err = await client.images
      .generate({ model: "text-embedding-3-small", prompt: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).code).toBe("mode_not_supported");
    expect((err as APIError).message).toContain("image_generation");
    for (const u of Object.values(h.upstreams)) expect(u.hits).toBe(0);
  });
});
