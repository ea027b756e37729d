import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEvents } from "../../src/wire/sse.js";
import { type Harness, post, startHarness } from "../harness.js";
import { readChatStream } from "../sdk-stream.js";
import { ToyFake } from "./fake.js";
import { TOY_PREFIX, toyProvider } from "./provider.js";

/**
 * The provider contract v2 end to end, through the real gateway over real HTTP, with a translating
 * provider whose wire format is nothing like OpenAI's: every byte the client reads was translated.
 * Order tiers make the path deterministic: toy-a first, then toy-b, both in eu; toy-us (us, tier 1
 * too) must never be asked on behalf of the eu-pinned customer, whatever fails.
 */
const YAML = `
model_list:
  - model_name: toy-chat
    litellm_params:
      model: toy/toy-1
      api_base: {{a}}
      api_key: toy-key-a
      region_name: eu
      order: 1
    model_info: { id: toy-a }
  - model_name: toy-chat
    litellm_params:
      model: toy/toy-1
      api_base: {{us}}
      api_key: toy-key-us
      region_name: us
      order: 1
    model_info: { id: toy-us }
  - model_name: toy-chat
    litellm_params:
      model: toy/toy-1
      api_base: {{b}}
      api_key: toy-key-b
      region_name: eu
      order: 2
    model_info: { id: toy-b }
router_settings:
  num_retries: 2
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`;

const fakes = { a: new ToyFake("a"), b: new ToyFake("b"), us: new ToyFake("us") };
const piecesOf = (f: ToyFake, n = 3) => Array.from({ length: n }, (_, i) => f.piece(i)).join("");

describe("a toy translating provider through the gateway", () => {
  let h: Harness;
  let client: OpenAI;
  const user = "cust-eu";

  beforeAll(async () => {
    let yaml = YAML;
    for (const [k, f] of Object.entries(fakes)) yaml = yaml.replaceAll(`{{${k}}}`, (await f.start()).url);
    h = await startHarness({ yaml, upstreams: [], providers: { [TOY_PREFIX]: toyProvider } });
    const c = await post(`${h.url}/end_user/new`, { user_id: user, allowed_model_region: "eu" }, h.auth);
    expect(c.status).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
    for (const f of Object.values(fakes)) await f.stop();
  });
  beforeEach(() => {
    for (const f of Object.values(fakes)) {
      f.reset();
      f.spacedMs = undefined;
    }
  });

  const chat = (extra: Record<string, unknown> = {}) =>
    post(
      `${h.url}/v1/chat/completions`,
      { model: "toy-chat", user, messages: [{ role: "user", content: "hi toy" }], ...extra },
      h.auth,
    );

  it("non-streaming: the toy's request shape goes out, an OpenAI completion with usage comes back", async () => {
    const r = await chat({ max_tokens: 12 });
    expect(r.status).toBe(200);
    expect(r.json.object).toBe("chat.completion");
    expect(r.json.choices[0].message).toEqual({ role: "assistant", content: piecesOf(fakes.a) });
    expect(r.json.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(r.headers.get("x-litellm-model-id")).toBe("toy-a");
    expect(fakes.a.requests).toHaveLength(1);
    const sent = fakes.a.requests[0];
    expect(sent.path).toBe("/toy/generate");
    expect(sent.body).toEqual({ engine: "toy-1", prompt_text: "user: hi toy", max: 12 });
    expect(sent.headers["x-toy-key"]).toBe("toy-key-a");
  });

  it("streaming through the openai SDK: pieces become chunks, finish the finish_reason, usage once", async () => {
    fakes.a.spacedMs = 2;
    const stream = await client.chat.completions.create({
      model: "toy-chat",
      user,
      messages: [{ role: "user", content: "hi toy" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finishes, usages } = await readChatStream(stream);
    expect(text).toBe(piecesOf(fakes.a));
    expect(finishes).toEqual(["stop"]);
    expect(usages).toEqual([{ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }]);
    expect(fakes.a.requests[0].path).toBe("/toy/stream");
    expect(fakes.b.hits + fakes.us.hits).toBe(0);
  });

  it("streaming without include_usage: no usage chunk reaches the client, [DONE] ends it", async () => {
    const r = await chat({ stream: true });
    expect(r.status).toBe(200);
    const events = parseEvents(Buffer.from(r.text));
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true);
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toBe(piecesOf(fakes.a));
  });

  for (const [name, fail] of [
    ["a 500", { kind: "status", status: 500 }],
    ["a 429", { kind: "status", status: 429, retryAfterSeconds: 0 }],
    ["an oops event", { kind: "oops-first" }],
  ] as const) {
    it(`${name} before the first event falls over to the next eu deployment, never to us`, async () => {
      fakes.a.next(fail);
      const r = await chat({ stream: true });
      expect(r.status).toBe(200);
      const events = parseEvents(Buffer.from(r.text));
      const text = events
        .slice(0, -1)
        .map((e) => JSON.parse(e.data).choices[0].delta.content ?? "")
        .join("");
      expect(text).toBe(piecesOf(fakes.b));
      expect(r.headers.get("x-litellm-model-id")).toBe("toy-b");
      expect([fakes.a.hits, fakes.b.hits, fakes.us.hits]).toEqual([1, 1, 0]);
    });
  }

  it("non-streaming, when every eu deployment fails, the toy's error reaches the client in the envelope", async () => {
    fakes.a.next({ kind: "status", status: 503 }, 3);
    fakes.b.next({ kind: "status", status: 503 }, 3);
    const r = await chat();
    expect(r.status).toBe(503);
    expect(Object.keys(r.json.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(r.json.error.code).toBe("upstream_error");
    expect(r.json.error.message).toMatch(/toy [ab] refuses with 503/);
    // num_retries 2: three attempts, every one within eu.
    expect([fakes.a.hits + fakes.b.hits, fakes.us.hits]).toEqual([3, 0]);
  });

  it("a stream whose body ends before its finish event is not passed off as whole: error event, no [DONE]", async () => {
    fakes.a.next({ kind: "no-finish", pieces: 2 });
    const r = await chat({ stream: true });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain("[DONE]");
    const last = JSON.parse(parseEvents(Buffer.from(r.text)).at(-1)?.data ?? "{}");
    expect(last.error.code).toBe("upstream_invalid_response");
    expect([fakes.a.hits, fakes.b.hits, fakes.us.hits]).toEqual([1, 0, 0]);
  });

  it("a stream that ends before any event falls over: nothing was committed", async () => {
    fakes.a.next({ kind: "no-finish", pieces: 0 });
    const r = await chat({ stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("toy-b");
    expect(r.text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect([fakes.a.hits, fakes.b.hits, fakes.us.hits]).toEqual([1, 1, 0]);
  });

  it("an operation the toy's wire format cannot carry is refused before any byte is sent", async () => {
    for (const [path, body] of [
      ["/v1/completions", { model: "toy-chat", user, prompt: "hi" }],
      ["/v1/embeddings", { model: "toy-chat", user, input: "hi" }],
    ] as const) {
      const r = await post(`${h.url}${path}`, body, h.auth);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("operation_not_supported");
    }
    expect([fakes.a.hits, fakes.b.hits, fakes.us.hits]).toEqual([0, 0, 0]);
  });

  for (const spaced of [true, false]) {
    it(`an oops after pieces ends the committed stream with an error event (${spaced ? "events apart" : "one chunk"})`, async () => {
      fakes.a.spacedMs = spaced ? 2 : undefined;
      fakes.a.next({ kind: "oops-after", pieces: 2 });
      const r = await chat({ stream: true });
      expect(r.status).toBe(200);
      const events = parseEvents(Buffer.from(r.text)).map((e) => JSON.parse(e.data));
      const last = events.at(-1);
      expect(last.error.code).toBe("upstream_error");
      expect(last.error.message).toContain("lost the thread");
      expect(
        events
          .slice(0, -1)
          .map((c) => c.choices[0].delta.content)
          .join(""),
      ).toBe(piecesOf(fakes.a, 2));
      expect(r.text).not.toContain("[DONE]");
      // Committed: no other deployment was asked for the rest.
      expect([fakes.a.hits, fakes.b.hits, fakes.us.hits]).toEqual([1, 0, 0]);
    });
  }
});
