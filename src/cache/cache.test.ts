import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, pinCustomers, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { STREAM_USAGE } from "../demo/fake-upstream.js";

const CACHE_YAML = `${SEED_YAML}
litellm_settings:
  cache: true
  cache_params:
    type: local
    ttl: 600
    max_item_size_kb: 4
`;

/** Response cache, in memory: keys partitioned by policy, controls, streams, sizes. */
describe("response cache (local)", () => {
  let h: Harness;
  let n = 0;
  const hits = () => h.upstreams.eu.hits + h.upstreams.us.hits;
  /** A prompt no earlier test used. */
  const fresh = () => `q${++n}-${Math.random()}`;
  const chat = (content: string, extra: Record<string, unknown> = {}) => ({
    model: "gpt-3.5-turbo",
    messages: [{ role: "user", content }],
    ...extra,
  });

  beforeAll(async () => {
    h = await startHarness({ yaml: CACHE_YAML, env: SEED_ENV });
    await pinCustomers(h, { "c-eu": "eu", "c-us": "us" });
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("a repeated request is answered from the cache: same body, no upstream call, cache headers", async () => {
    const q = fresh();
    const a = await post(`${h.url}/chat/completions`, chat(q, { user: "c-eu" }), h.auth);
    expect(a.status).toBe(200);
    expect(a.headers.get("x-meridian-cache")).toBe("miss");
    expect(hits()).toBe(1);
    // key order, `user` and `metadata` do not change the key (the customer, hence the policy, is the same)
    const b = await post(
      `${h.url}/chat/completions`,
      {
        messages: [{ content: q, role: "user" }],
        metadata: { trace: 1 },
        model: "gpt-3.5-turbo",
        user: "c-eu",
      },
      h.auth,
    );
    expect(b.status).toBe(200);
    expect(hits()).toBe(1);
    expect(b.text).toBe(a.text);
    expect(b.headers.get("x-meridian-cache")).toBe("hit");
    expect(b.headers.get("x-litellm-cache-key")).toBe(a.headers.get("x-litellm-cache-key"));
    expect(b.headers.get("x-litellm-model-region")).toBe("eu");
    expect(b.headers.get("x-litellm-model-id")).toBe(a.headers.get("x-litellm-model-id"));
    expect(b.headers.get("x-litellm-response-cost")).toBe("0");
  });

  it("callers with different policies never share an entry", async () => {
    const q = fresh();
    const eu = await post(`${h.url}/chat/completions`, chat(q, { user: "c-eu" }), h.auth);
    const us = await post(`${h.url}/chat/completions`, chat(q, { user: "c-us" }), h.auth);
    const open = await post(`${h.url}/chat/completions`, chat(q), h.auth);
    expect(hits()).toBe(3);
    expect(eu.json.choices[0].message.content).toBe("Hello from eu");
    expect(us.json.choices[0].message.content).toBe("Hello from us");
    const keys = new Set([eu, us, open].map((r) => r.headers.get("x-litellm-cache-key")));
    expect(keys.size).toBe(3);
    // each now hits its own entry, from its own geography
    expect(
      (await post(`${h.url}/chat/completions`, chat(q, { user: "c-us" }), h.auth)).json.choices[0].message
        .content,
    ).toBe("Hello from us");
    expect(
      (await post(`${h.url}/chat/completions`, chat(q, { user: "c-eu" }), h.auth)).json.choices[0].message
        .content,
    ).toBe("Hello from eu");
    expect(hits()).toBe(3);
  });

  it("no-cache skips the lookup but stores; no-store serves from the cache but never stores", async () => {
    const q = fresh();
    await post(`${h.url}/chat/completions`, chat(q, { cache: { "no-store": true } }), h.auth);
    await post(`${h.url}/chat/completions`, chat(q), h.auth);
    expect(hits()).toBe(2); // the first was not stored
    await post(`${h.url}/chat/completions`, chat(q), h.auth);
    expect(hits()).toBe(2); // the second was
    const nc = await post(`${h.url}/chat/completions`, chat(q, { cache: { "no-cache": true } }), h.auth);
    expect(nc.headers.get("x-meridian-cache")).toBe("miss");
    expect(hits()).toBe(3);
    // the same through LiteLLM-style Cache-Control request headers
    await post(`${h.url}/chat/completions`, chat(q), { ...h.auth, "cache-control": "no-cache" });
    expect(hits()).toBe(4);
    const q2 = fresh();
    await post(`${h.url}/chat/completions`, chat(q2), { ...h.auth, "cache-control": "no-store" });
    await post(`${h.url}/chat/completions`, chat(q2), h.auth);
    expect(hits()).toBe(6);
    // `cache` never reaches the upstream
    for (const r of h.upstreams.eu.requests.concat(h.upstreams.us.requests))
      expect(r.body).not.toHaveProperty("cache");
  });

  it("ttl expires an entry; s-maxage refuses entries older than asked", async () => {
    const q = fresh();
    // a ttl the second request falls inside even on a loaded machine
    await post(`${h.url}/chat/completions`, chat(q, { cache: { ttl: 1 } }), h.auth);
    await post(`${h.url}/chat/completions`, chat(q), h.auth);
    expect(hits()).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    await post(`${h.url}/chat/completions`, chat(q), h.auth);
    expect(hits()).toBe(2); // expired: stored again (default ttl)
    await new Promise((r) => setTimeout(r, 50));
    await post(`${h.url}/chat/completions`, chat(q, { cache: { "s-maxage": 10 } }), h.auth);
    expect(hits()).toBe(2);
    await post(`${h.url}/chat/completions`, chat(q, { cache: { "s-maxage": 0.01 } }), h.auth);
    expect(hits()).toBe(3);
  });

  it("an answer above max_item_size_kb is not cached", async () => {
    const q = fresh();
    const big = "x".repeat(5000);
    h.upstreams.eu.always = { raw: { body: bigAnswer(big), contentType: "application/json" } };
    h.upstreams.us.always = h.upstreams.eu.always;
    await post(`${h.url}/chat/completions`, chat(q), h.auth);
    await post(`${h.url}/chat/completions`, chat(q), h.auth);
    expect(hits()).toBe(2);
  });

  it("embeddings are cached, and the openai SDK reads the cached answer", async () => {
    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234" });
    const input = fresh();
    const a = await client.embeddings.create({ model: "text-embedding-3-small", input, user: "c-eu" });
    const b = await client.embeddings.create({ model: "text-embedding-3-small", input, user: "c-eu" });
    expect(hits()).toBe(1);
    expect(b.data[0].embedding).toEqual(a.data[0].embedding);
  });

  describe("streams", () => {
    it("a streamed answer is stored when complete and replayed as OpenAI chunks, byte for byte", async () => {
      const q = fresh();
      const first = await sse(h, chat(q, { stream: true, user: "c-eu" }));
      expect(hits()).toBe(1);
      expect(first.headers.get("x-meridian-cache")).toBe("miss");
      const again = await sse(h, chat(q, { stream: true, user: "c-eu" }));
      expect(hits()).toBe(1);
      expect(again.headers.get("x-meridian-cache")).toBe("hit");
      expect(again.headers.get("content-type")).toBe("text/event-stream");
      const head = JSON.parse(first.text.split("\n")[0].slice(6));
      const base = `{"id":"${head.id}","object":"chat.completion.chunk","created":${head.created},"model":"${head.model}"`;
      expect(again.text).toBe(
        `data: ${base},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n` +
          `data: ${base},"choices":[{"index":0,"delta":{"content":"Hello from eu part 1 part 2"},"finish_reason":null}]}\n\n` +
          `data: ${base},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n` +
          "data: [DONE]\n\n",
      );
      // the same entry answers a non-streaming request, as the whole answer
      const whole = await post(`${h.url}/chat/completions`, chat(q, { user: "c-eu" }), h.auth);
      expect(hits()).toBe(1);
      expect(whole.json.choices[0]).toEqual({
        index: 0,
        message: { role: "assistant", content: "Hello from eu part 1 part 2" },
        finish_reason: "stop",
      });
      expect(whole.json.usage).toEqual(STREAM_USAGE);
    });

    it("usage is replayed only when asked, and the openai SDK reads the replay", async () => {
      const q = fresh();
      const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234" });
      const read = async (includeUsage: boolean) => {
        const s = await client.chat.completions.create({
          model: "gpt-3.5-turbo",
          messages: [{ role: "user", content: q }],
          // an EU customer: served by the eu deployment, which reports usage on streams
          user: "c-eu",
          stream: true,
          ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        });
        let text = "";
        let usage: unknown;
        let chunks = 0;
        for await (const c of s) {
          chunks++;
          text += c.choices[0]?.delta?.content ?? "";
          if (c.usage) usage = c.usage;
        }
        return { text, usage, chunks };
      };
      const miss = await read(false);
      expect(hits()).toBe(1);
      const hit = await read(false);
      expect(hits()).toBe(1);
      expect(hit.text).toBe(miss.text);
      expect(hit.usage).toBeUndefined();
      const withUsage = await read(true);
      expect(hits()).toBe(1);
      expect(withUsage.text).toBe(miss.text);
      expect(withUsage.usage).toEqual(STREAM_USAGE);
    });

    it("a stream cut before its end is never stored", async () => {
      const q = fresh();
      // chunks spaced out, so the stream commits before the cut
      h.upstreams.eu.next({ cutAfterChunks: 3, chunkIntervalMs: 20 });
      const cut = await sse(h, chat(q, { stream: true, user: "c-eu" }));
      expect(cut.text).toContain('"error"');
      await sse(h, chat(q, { stream: true, user: "c-eu" }));
      expect(hits()).toBe(2);
      await sse(h, chat(q, { stream: true, user: "c-eu" }));
      expect(hits()).toBe(2); // the whole one was stored
    });

    it("legacy completions stream and replay as text_completion chunks", async () => {
      const q = fresh();
      const body = { model: "gpt-3.5-turbo", prompt: q, stream: true };
      const miss = await sse(h, body, "/completions");
      const hit = await sse(h, body, "/completions");
      expect(hits()).toBe(1);
      const text = (s: string) =>
        s
          .split("\n\n")
          .filter((e) => e.startsWith("data: {"))
          .map((e) => JSON.parse(e.slice(6)))
          .map((c) => c.choices[0]?.text ?? "")
          .join("");
      expect(text(hit.text)).toBe(text(miss.text));
      expect(hit.text).toContain('"object":"text_completion"');
    });
  });
});

async function sse(h: Harness, body: unknown, path = "/chat/completions") {
  const res = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...h.auth },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function bigAnswer(content: string): string {
  return JSON.stringify({
    id: "chatcmpl-big",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}
