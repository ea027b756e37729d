import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeVector, GoogleFake, TokenFake } from "../../../test/fakes/vertex.js";
import { type Harness, post, startHarness } from "../../../test/harness.js";
import { readChatStream } from "../../../test/sdk-stream.js";
import { parseEvents } from "../../wire/sse.js";

/**
 * vertex_ai/ and gemini/ through the real gateway over real HTTP, with the official openai SDK, against
 * fakes of Google's APIs in their wire format (test/fakes/vertex.ts). An eu-pinned customer must be
 * served by the EU locations (europe-west4 first, the `eu` multi-region next) and never by
 * us-central1, the global endpoint or AI Studio, whatever fails — retries and fallbacks included.
 */
const tokens = new TokenFake();
const fakes = {
  euA: new GoogleFake("europe-west4", { tokens }),
  euB: new GoogleFake("eu", { tokens }),
  us: new GoogleFake("us-central1", { tokens }),
  global: new GoogleFake("global", { tokens }),
  studio: new GoogleFake("studio", { apiKey: "studio-key" }),
};
const outOfRegion = () => fakes.us.hits + fakes.global.hits + fakes.studio.hits;

function yaml(keyFile: string): string {
  const vx = (
    id: string,
    group: string,
    loc: string,
    fake: GoogleFake,
    order: number,
    model = "gemini-2.5-flash",
  ) => `
  - model_name: ${group}
    litellm_params:
      model: vertex_ai/${model}
      vertex_project: my-project
      vertex_location: ${loc}
      vertex_credentials: ${keyFile}
      api_base: ${fake.url}
      order: ${order}
    model_info: { id: ${id} }`;
  return `
model_list:${vx("vx-eu-a", "gem", "europe-west4", fakes.euA, 1)}${vx("vx-us", "gem", "us-central1", fakes.us, 1)}${vx("vx-global", "gem", "global", fakes.global, 1)}${vx("vx-eu-b", "gem", "eu", fakes.euB, 2)}
  - model_name: gem
    litellm_params: { model: gemini/gemini-2.5-flash, api_key: studio-key, api_base: "${fakes.studio.url}", order: 1 }
    model_info: { id: studio }
${vx("p-eu-a", "primary", "europe-west4", fakes.euA, 1)}${vx("s-us", "secondary", "us-central1", fakes.us, 1)}${vx("s-global", "secondary", "global", fakes.global, 1)}${vx("s-eu-b", "secondary", "eu", fakes.euB, 2)}${vx("emb-eu", "emb", "europe-west4", fakes.euA, 1, "text-embedding-005")}${vx("emb-us", "emb", "us-central1", fakes.us, 1, "text-embedding-005")}
  - model_name: studio-emb
    litellm_params: { model: gemini/gemini-embedding-001, api_key: studio-key, api_base: "${fakes.studio.url}" }
${vx("claude-eu", "claude", "europe-west4", fakes.euA, 1, "claude-sonnet-4@20250514")}${vx("claude-us", "claude", "us-central1", fakes.us, 1, "claude-sonnet-4@20250514")}${vx("claude-eu-b", "claude", "eu", fakes.euB, 2, "claude-sonnet-4@20250514")}
  - model_name: us-only
${vx("only-us", "us-only", "us-central1", fakes.us, 1).split("\n").slice(2).join("\n")}
router_settings:
  num_retries: 2
  disable_cooldowns: true
  fallbacks: [{ primary: [secondary] }]
general_settings:
  master_key: sk-1234
`;
}

describe("vertex_ai/ and gemini/ through the gateway", () => {
  let h: Harness;
  let client: OpenAI;
  let dir: string;
  const user = "cust-eu";

  beforeAll(async () => {
    await tokens.start();
    for (const f of Object.values(fakes)) await f.start();
    dir = mkdtempSync(join(tmpdir(), "meridian-vertex-"));
    const keyFile = join(dir, "sa.json");
    writeFileSync(keyFile, JSON.stringify(tokens.serviceAccount()));
    h = await startHarness({ yaml: yaml(keyFile), upstreams: [] });
    const c = await post(`${h.url}/end_user/new`, { user_id: user, allowed_model_region: "eu" }, h.auth);
    expect(c.status).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
    for (const f of Object.values(fakes)) await f.stop();
    await tokens.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const f of Object.values(fakes)) f.reset();
  });

  const chat = (extra: Record<string, unknown> = {}, model = "gem") =>
    post(
      `${h.url}/v1/chat/completions`,
      { model, user, messages: [{ role: "user", content: "hi google" }], ...extra },
      h.auth,
    );
  const streamText = (text: string) =>
    parseEvents(Buffer.from(text))
      .filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data))
      .map((c) => c.choices?.[0]?.delta?.content ?? "")
      .join("");

  it("non-streaming via the SDK: Gemini's request shape to europe-west4 with an OAuth token, OpenAI back", async () => {
    const r = await client.chat.completions.create({
      model: "gem",
      user,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi google" },
      ],
      max_tokens: 12,
    });
    expect(r.choices[0].message.content).toBe(fakes.euA.text());
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(r.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    const sent = fakes.euA.requests[0];
    expect(sent.path).toBe(
      "/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent",
    );
    expect(sent.headers.authorization).toMatch(/^Bearer ya29\.fake-\d+$/);
    expect(sent.body).toEqual({
      contents: [{ role: "user", parts: [{ text: "hi google" }] }],
      systemInstruction: { parts: [{ text: "be brief" }] },
      generationConfig: { maxOutputTokens: 12 },
    });
    expect(outOfRegion()).toBe(0);
  });

  it("streaming via the SDK: pieces become chunks, one finish_reason, usage once when asked", async () => {
    fakes.euA.spacedMs = 2;
    const stream = await client.chat.completions.create({
      model: "gem",
      user,
      messages: [{ role: "user", content: "hi google" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finishes, usages } = await readChatStream(stream);
    expect(text).toBe(fakes.euA.text());
    expect(finishes).toEqual(["stop"]);
    expect(usages).toEqual([{ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }]);
    expect(fakes.euA.requests[0].path).toMatch(/:streamGenerateContent\?alt=sse$/);
    expect(outOfRegion() + fakes.euB.hits).toBe(0);
  });

  it("tools via the SDK: functionDeclarations out, a functionCall back as tool_calls", async () => {
    fakes.euA.next({ kind: "tool-call" });
    const r = await client.chat.completions.create({
      model: "gem",
      user,
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        },
      ],
    });
    expect(r.choices[0].finish_reason).toBe("tool_calls");
    const call = r.choices[0].message.tool_calls?.[0] as { function: { name: string; arguments: string } };
    expect(call.function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(fakes.euA.requests[0].body.tools).toEqual([
      {
        functionDeclarations: [
          { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
        ],
      },
    ]);
  });

  it("a safety stop reaches the client as finish_reason content_filter", async () => {
    fakes.euA.next({ kind: "safety" });
    const r = await chat();
    expect(r.status).toBe(200);
    expect(r.json.choices[0].finish_reason).toBe("content_filter");
  });

  for (const [name, fail] of [
    ["a 500", { kind: "status", status: 500 }],
    ["a 429", { kind: "status", status: 429, retryAfterSeconds: 0 }],
    ["an error event", { kind: "error-first" }],
  ] as const) {
    it(`streaming: ${name} before the first event goes to the eu multi-region, never us or global`, async () => {
      fakes.euA.next(fail);
      const r = await chat({ stream: true });
      expect(r.status).toBe(200);
      expect(streamText(r.text)).toBe(fakes.euB.text());
      expect(r.headers.get("x-litellm-model-id")).toBe("vx-eu-b");
      expect([fakes.euA.hits, fakes.euB.hits, outOfRegion()]).toEqual([1, 1, 0]);
    });
  }

  it("non-streaming: retries stay in the eu; when every eu location fails, Google's error in the envelope", async () => {
    fakes.euA.next({ kind: "status", status: 503 }, 3);
    fakes.euB.next({ kind: "status", status: 503 }, 3);
    const r = await chat();
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ type: "api_error", code: "upstream_error" });
    expect(r.json.error.message).toMatch(/refuses with 503/);
    expect(fakes.euA.hits + fakes.euB.hits).toBe(3);
    expect(outOfRegion()).toBe(0);
  });

  it("an error event after text: the client gets the text, then one error event; nothing else is asked", async () => {
    fakes.euA.next({ kind: "error-after", pieces: 2 });
    const r = await chat({ stream: true });
    const events = parseEvents(Buffer.from(r.text));
    expect(JSON.parse(events.at(-1)?.data ?? "{}").error.message).toMatch(/overloaded/);
    expect(streamText(r.text.split('data: {"error"')[0])).toBe(fakes.euA.text(2));
    expect(fakes.euB.hits + outOfRegion()).toBe(0);
  });

  it("a stream whose body ends before its finishReason is cut: the client gets an error event, not [DONE]", async () => {
    fakes.euA.next({ kind: "no-finish", pieces: 2 });
    const r = await chat({ stream: true });
    const events = parseEvents(Buffer.from(r.text));
    expect(events.some((e) => e.data === "[DONE]")).toBe(false);
    expect(JSON.parse(events.at(-1)?.data ?? "{}").error.code).toBe("upstream_invalid_response");
  });

  it("non-streaming: a 429 with Retry-After is retried in the eu and answered from there", async () => {
    fakes.euA.next({ kind: "status", status: 429, retryAfterSeconds: 0 });
    const r = await chat();
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toMatch(/^google (europe-west4|eu) says/);
    expect(outOfRegion()).toBe(0);
  });

  it("token-array embeddings are the request's fault: 400 untranslatable_request, nothing sent", async () => {
    const r = await post(`${h.url}/v1/embeddings`, { model: "emb", user, input: [[1, 2, 3]] }, h.auth);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "untranslatable_request", param: "input" });
    expect(fakes.euA.hits + outOfRegion()).toBe(0);
  });

  it("/model/info shows each Google deployment's provider, geography and evidence", async () => {
    const r = await fetch(`${h.url}/model/info`, { headers: h.auth });
    const data = ((await r.json()) as { data: Array<{ model_info: Record<string, unknown> }> }).data;
    const info = new Map(data.map((d) => [d.model_info.id, d.model_info]));
    expect(info.get("vx-eu-b")).toMatchObject({ provider: "vertex_ai", geography: "eu" });
    expect(info.get("vx-eu-b")?.evidence).toMatch(/eu multi-region/);
    expect(info.get("vx-global")).toMatchObject({ geography: null });
    expect(info.get("vx-global")?.evidence).toMatch(/no residency guarantee/);
    expect(info.get("studio")).toMatchObject({ provider: "gemini", geography: null });
  });

  it("Claude on Vertex via the SDK: the Messages body with anthropic_version at :rawPredict in europe-west4", async () => {
    const r = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi claude" },
      ],
    });
    expect(r.choices[0].message.content).toBe(fakes.euA.text());
    expect(r.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    const sent = fakes.euA.requests[0];
    expect(sent.path).toBe(
      "/v1/projects/my-project/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict",
    );
    expect(sent.headers.authorization).toMatch(/^Bearer ya29\.fake-\d+$/);
    expect(sent.body).toMatchObject({
      anthropic_version: "vertex-2023-10-16",
      system: [{ type: "text", text: "be brief" }],
      max_tokens: 4096,
    });
    expect(sent.body).not.toHaveProperty("model");
    expect(outOfRegion()).toBe(0);
  });

  it("Claude on Vertex streaming: an overloaded error event first falls over to the eu multi-region, never us", async () => {
    fakes.euA.next({ kind: "error-first" });
    const stream = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [{ role: "user", content: "hi claude" }],
      stream: true,
    });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe(fakes.euB.text());
    expect(fakes.euB.requests[0].path).toMatch(
      /publishers\/anthropic\/models\/claude-sonnet-4@20250514:streamRawPredict$/,
    );
    expect([fakes.euA.hits, fakes.euB.hits, outOfRegion()]).toEqual([1, 1, 0]);
  });

  it("fallbacks: the primary group failing falls to the secondary group's eu deployment only", async () => {
    for (let i = 0; i < 5; i++) {
      fakes.euA.next({ kind: "status", status: 500 }, 3);
      const r = await chat({}, "primary");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-id")).toBe("s-eu-b");
    }
    expect(outOfRegion()).toBe(0);
  });

  it("a group with only us-central1 is refused for the eu customer before anything is sent", async () => {
    const r = await chat({}, "us-only");
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("no_deployment_in_region");
    expect(outOfRegion()).toBe(0);
  });

  it("one token serves many requests (google-auth-library caches it)", async () => {
    const before = tokens.issued.length;
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(200);
    expect(tokens.issued.length - before).toBe(0);
    expect(tokens.issued.length).toBeGreaterThanOrEqual(1);
  });

  it("embeddings via the SDK (base64 by default): Vertex :predict in europe-west4, floats back", async () => {
    const r = await client.embeddings.create({ model: "emb", user, input: ["hello", "residency"] });
    expect(r.data.map((d) => Array.from(d.embedding))).toEqual([
      fakeVector("hello"),
      fakeVector("residency"),
    ]);
    expect(r.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(fakes.euA.requests[0].path).toMatch(/models\/text-embedding-005:predict$/);
    expect(fakes.euA.requests[0].body).toEqual({
      instances: [{ content: "hello" }, { content: "residency" }],
    });
    expect(outOfRegion()).toBe(0);
  });

  it("gemini/ (AI Studio) serves an unrestricted caller with its API key, never the eu customer", async () => {
    const r = await client.embeddings.create({ model: "studio-emb", input: "hi", encoding_format: "float" });
    expect(r.data[0].embedding).toEqual(fakeVector("hi"));
    expect(fakes.studio.requests[0].path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(fakes.studio.requests[0].headers["x-goog-api-key"]).toBe("studio-key");
    const pinned = await post(`${h.url}/v1/embeddings`, { model: "studio-emb", user, input: "hi" }, h.auth);
    expect(pinned.status).toBe(403);
    expect(fakes.studio.hits).toBe(1);
  });
});
