import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, hits, pinnedHarness, resetAll } from "../../test/router-gateway.js";
import { notEventStreamStart, notEventStreamType, notJsonObject } from "./reply-check.js";

const OK = JSON.stringify({ id: "x", object: "chat.completion", choices: [] });

/** Issue item 5: a 200 with a broken body is an upstream failure, retried within the region. */
describe("broken 200s", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("m", "m-eu", "eu", "eu", { order: 1 })}${deployment("m", "m-eu2", "eu2", "eu", { order: 2 })}${deployment("m", "m-us", "us", "us", { order: 1 })}${deployment("solo", "solo-eu", "eu", "eu")}${deployment("solo", "solo-us", "us", "us")}
router_settings:
  num_retries: 1
  retry_after: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  const buffered: Array<[string, { body: string; contentType?: string }]> = [
    ["truncated JSON", { body: OK.slice(0, -8), contentType: "application/json" }],
    ["a truncated body still ending in a brace", { body: '{"a":{"b":1}', contentType: "application/json" }],
    ["HTML", { body: "<html><body>502 Bad Gateway</body></html>", contentType: "text/html" }],
    ["an empty body", { body: "", contentType: "application/json" }],
    ["a JSON array", { body: "[1,2]", contentType: "application/json" }],
  ];
  for (const [name, raw] of buffered) {
    it(`non-streaming: ${name} is retried on the other EU deployment`, async () => {
      h.upstreams.eu.next({ raw });
      const r = await chat(h, "m", "cust-eu");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-id")).toBe("m-eu2");
      expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
      expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
    });
  }

  it("non-streaming, nowhere else in region: 502 upstream_invalid_response, never the US", async () => {
    h.upstreams.eu.always = { raw: { body: "<html>oops</html>", contentType: "text/html" } };
    const r = await chat(h, "solo", "cust-eu");
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: "upstream_invalid_response", type: "api_error" });
    expect(r.json.error.message).not.toContain("oops");
    expect(h.upstreams.us.hits).toBe(0);
  });

  const streamed: Array<[string, { body: string; contentType?: string }]> = [
    ["JSON answering stream: true", { body: OK, contentType: "application/json" }],
    ["HTML with an event-stream type", { body: "<html>no</html>", contentType: "text/event-stream" }],
    ["a JSON body with no content type", { body: OK }],
  ];
  for (const [name, raw] of streamed) {
    it(`streaming: ${name} falls over before the commit`, async () => {
      h.upstreams.eu.next({ raw });
      const r = await chat(h, "m", "cust-eu", { stream: true });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/event-stream");
      expect(r.headers.get("x-litellm-model-id")).toBe("m-eu2");
      expect(r.text).toContain("data: [DONE]");
      expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
    });
  }

  it("streaming: a well-formed stream with no content type is passed on", async () => {
    h.upstreams.eu.next({ raw: { body: `data: ${OK}\n\ndata: [DONE]\n\n` } });
    const r = await chat(h, "m", "cust-eu", { stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("m-eu");
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
  });
});

describe("reply checks", () => {
  it("a JSON object passes; anything else says why", () => {
    expect(notJsonObject(Buffer.from(` ${OK}\n`))).toBeUndefined();
    expect(notJsonObject(Buffer.alloc(0))).toBe("an empty body");
    expect(notJsonObject(Buffer.from("null"))).toBe("a body that is not a JSON object");
    expect(notJsonObject(Buffer.from('{"a":}'))).toBe("a body that is not valid JSON");
  });

  it("event-stream types and openings", () => {
    expect(notEventStreamType({ "content-type": "text/event-stream; charset=utf-8" })).toBeUndefined();
    expect(notEventStreamType({})).toBeUndefined();
    expect(notEventStreamType({ "content-type": "application/json" })).toContain("application/json");
    for (const ok of [
      "data: {}",
      "event: x\n",
      "id: 1\n",
      "retry: 10\n",
      ": ping\n",
      "\n",
      "data\n",
      "da",
      "\ufeffdata: x",
    ])
      expect(notEventStreamStart(Buffer.from(ok)), ok).toBeUndefined();
    for (const bad of ["{", "<html>", "dat a", "datum: 1", "x"])
      expect(notEventStreamStart(Buffer.from(bad)), bad).toBeDefined();
  });
});
