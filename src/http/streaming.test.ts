import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { litellmHeaderProblems } from "../../test/litellm-headers.js";

const YAML = `
model_list:
  - model_name: chat
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream
      region_name: eu
  - model_name: az
    litellm_params:
      model: azure/dep
      api_base: {{us}}
      api_key: az-secret
      region_name: us
  - model_name: slow
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      region_name: eu
      timeout: 0.3
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
`;

const chat = (model: string) => ({
  model,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
});

/** SSE `data:` payloads in arrival order. */
function events(text: string): string[] {
  return text
    .split("\n\n")
    .map((e) => e.trim())
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6));
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("streaming", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("passes chunks through in order with the same headers as a non-streaming response", async () => {
    const r = await post(`${h.url}/v1/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    expect(
      litellmHeaderProblems(r.headers, { group: "chat", apiBase: `${h.upstreams.eu.url}/v1`, region: "eu" }),
    ).toEqual([]);
    const ev = events(r.text);
    expect(ev.at(-1)).toBe("[DONE]");
    const parsed = ev.slice(0, -1).map((e) => JSON.parse(e));
    expect(parsed.map((c) => c.choices[0].delta.content ?? null)).toEqual([
      "",
      "Hello from eu",
      " part 1",
      " part 2",
      null,
    ]);
    expect(parsed.at(-1).choices[0].finish_reason).toBe("stop");
    expect(h.upstreams.eu.requests[0].body?.stream).toBe(true);
  });

  it("headers set before the handler (lenient-JSON warning) survive on a stream", async () => {
    const body =
      '{"model": "chat", "stream": true, "messages": [{"role": "user", "content": "hi"},], # doc comment\n}';
    const r = await post(`${h.url}/chat/completions`, body, h.auth);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-meridian-warning")).toContain("not strict JSON");
    expect(events(r.text).at(-1)).toBe("[DONE]");
  });

  it("streams text completions and Azure upstreams too", async () => {
    const c = await post(`${h.url}/completions`, { model: "chat", prompt: "hi", stream: true }, h.auth);
    expect(c.status).toBe(200);
    expect(events(c.text).at(-1)).toBe("[DONE]");
    expect(JSON.parse(events(c.text)[1]).choices[0].text).toBe("Hello from eu");
    const a = await post(`${h.url}/openai/deployments/az/chat/completions`, chat("az"), h.auth);
    expect(a.status).toBe(200);
    expect(a.text).toContain("Hello from us");
    expect(h.upstreams.us.requests[0].url).toBe(
      "/openai/deployments/dep/chat/completions?api-version=2024-10-21",
    );
    expect(
      litellmHeaderProblems(a.headers, { group: "az", apiBase: h.upstreams.us.url, region: "us" }),
    ).toEqual([]);
  });

  it("does not buffer: the first chunk reaches the client before upstream has sent the last", async () => {
    h.upstreams.eu.next({ chunkIntervalMs: 150 });
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: JSON.stringify(chat("chat")),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    // Six events 150 ms apart: the upstream is still mid-stream when the first arrives here.
    expect(h.upstreams.eu.requests[0].finished).toBe(false);
    let rest = "";
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      rest += new TextDecoder().decode(r.value);
    }
    expect(rest.trim().endsWith("data: [DONE]")).toBe(true);
    expect(h.upstreams.eu.requests[0].finished).toBe(true);
  });

  it("a client that disconnects mid-stream cancels the upstream request", async () => {
    h.upstreams.eu.next({ chunkIntervalMs: 200 });
    const ctl = new AbortController();
    const res = await fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: JSON.stringify(chat("chat")),
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ctl.abort();
    await until(() => h.upstreams.eu.requests[0]?.aborted === true, "upstream to see the cancel");
    expect(h.upstreams.eu.requests[0].finished).toBe(false);
    // the gateway is unharmed
    const ok = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(ok.status).toBe(200);
  });

  it("a client that disconnects before the first chunk cancels the upstream request", async () => {
    h.upstreams.eu.next({ hang: true });
    const ctl = new AbortController();
    const pending = fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: JSON.stringify(chat("chat")),
      signal: ctl.signal,
    }).catch((e: Error) => e);
    await until(() => h.upstreams.eu.hits === 1, "upstream to get the request");
    ctl.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(() => h.upstreams.eu.requests[0]?.aborted === true, "upstream to see the cancel");
  });

  for (const cut of [1, 2]) {
    it(`an upstream cut after ${cut} chunk(s) ends the stream with a data: {"error"} event`, async () => {
      h.upstreams.eu.next({ cutAfterChunks: cut, chunkIntervalMs: 50 });
      const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
      expect(r.status).toBe(200);
      const ev = events(r.text);
      expect(ev).toHaveLength(cut + 1);
      const last = JSON.parse(ev.at(-1)!);
      expect(last.error).toMatchObject({ type: "api_error", code: "upstream_connection_error", param: null });
      expect(last.error.message).toContain("after the stream had started");
      expect(r.text).not.toContain("[DONE]");
    });
  }

  it("an upstream that goes silent mid-stream past the deployment timeout ends with upstream_timeout", async () => {
    h.upstreams.eu.next({ chunkIntervalMs: 1500 });
    const r = await post(`${h.url}/chat/completions`, chat("slow"), h.auth);
    expect(r.status).toBe(200);
    const ev = events(r.text);
    expect(ev).toHaveLength(2);
    expect(JSON.parse(ev[1]).error).toMatchObject({ type: "timeout_error", code: "upstream_timeout" });
  });

  it("an upstream that sends nothing within the timeout is a 504 JSON error, not a stream", async () => {
    h.upstreams.eu.next({ hang: true });
    const r = await post(`${h.url}/chat/completions`, chat("slow"), h.auth);
    expect(r.status).toBe(504);
    expect(r.json.error.code).toBe("upstream_timeout");
  });

  it("an upstream that fails before the first chunk is a plain JSON error, not a stream", async () => {
    h.upstreams.eu.next({ cutAfterChunks: 0 });
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(502);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(r.json.error.code).toBe("upstream_connection_error");
    expect(r.headers.get("x-litellm-call-id")).toBeTruthy();
  });

  it("an upstream error status on a stream request is passed through as JSON", async () => {
    h.upstreams.eu.next({ status: 429, headers: { "retry-after": "7" } });
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(429);
    expect(r.json.error.type).toBeTruthy();
    expect(r.headers.get("retry-after")).toBe("7");
  });
});
