import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, hits, pinnedHarness, resetAll, sleep, until } from "../../test/router-gateway.js";

/** Timeouts, stream commit on the first chunk, and client aborts, through the real gateway. */
describe("timeouts, streams and aborts", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("chat", "eu-a", "eu", "eu", { order: 1, timeout: 0.5 })}${deployment("chat", "eu-b", "eu2", "eu", { order: 2, timeout: 0.5 })}${deployment("chat", "us-a", "us", "us")}${deployment("stream", "s-eu", "eu", "eu", { order: 1, stream_timeout: 0.5 })}${deployment("stream", "s-eu2", "eu2", "eu", { order: 2 })}${deployment("solo", "solo-eu", "eu", "eu")}
router_settings:
  num_retries: 1
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  it("a non-streaming timeout is a failure: the attempt is cancelled and retried elsewhere", async () => {
    h.upstreams.eu.next({ hang: true });
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("eu-b");
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    await until(() => h.upstreams.eu.requests[0]?.aborted === true);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("when every attempt times out the client gets 504 upstream_timeout", async () => {
    h.upstreams.eu.always = { delayMs: 1500 };
    h.upstreams.eu2.always = { delayMs: 1500 };
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(504);
    expect(r.json.error).toMatchObject({ code: "upstream_timeout", type: "timeout_error" });
    expect(r.json.error.message).toContain("all 2 attempts failed");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("stream_timeout bounds the wait for the first chunk; the stream then comes from another deployment", async () => {
    h.upstreams.eu.next({ delayMs: 1500 });
    const r = await chat(h, "stream", "cust-eu", { stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("s-eu2");
    expect(r.text).toContain("Hello from eu2");
    expect(r.text).not.toContain("Hello from eu\\");
    expect(r.text.trim().endsWith("data: [DONE]")).toBe(true);
  });

  it("stream_timeout does not apply to a non-streaming request", async () => {
    h.upstreams.eu.next({ delayMs: 800 });
    const r = await chat(h, "stream", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("s-eu");
  });

  it("a stream cut before its first chunk is retried transparently", async () => {
    h.upstreams.eu.next({ cutAfterChunks: 0 });
    const r = await chat(h, "stream", "cust-eu", { stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(r.text.startsWith("data: ")).toBe(true);
    expect(r.text).toContain("Hello from eu2");
    expect(r.text.trim().endsWith("data: [DONE]")).toBe(true);
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });

  it("a stream cut after its first chunk ends with an error event and is not retried", async () => {
    h.upstreams.eu.next({ cutAfterChunks: 2, chunkIntervalMs: 10 });
    const r = await chat(h, "stream", "cust-eu", { stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("s-eu");
    expect(r.text).toContain("Hello from eu");
    const events = r.text.trim().split("\n\n");
    const last = JSON.parse(events[events.length - 1].slice("data: ".length));
    expect(last.error.message).toContain("after the stream had started");
    expect(typeof last.error.code).toBe("string");
    expect(r.text).not.toContain("[DONE]");
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
    // its record is a failure with the code the client saw, not a success (the status line said 200)
    await h.built.spendLog?.flush();
    const { rows } = await h.store.spend.find(
      { requestId: r.headers.get("x-litellm-call-id") as string },
      1,
      0,
    );
    expect(rows[0]).toMatchObject({
      status: "failure",
      http_status: 200,
      stream: "upstream_error",
      error_code: last.error.code,
      geography: "eu",
    });
  });

  it("a client abort during an in-flight attempt cancels it upstream and nothing more is tried", async () => {
    h.upstreams.eu.next({ hang: true });
    const ctl = new AbortController();
    const pending = chat(h, "solo", "cust-eu", {}, ctl.signal).catch((e: Error) => e);
    await until(() => h.upstreams.eu.hits === 1);
    ctl.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(() => h.upstreams.eu.requests[0]?.aborted === true);
    await sleep(300);
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
  });

  it("a client abort during a pending retry backoff cancels the retry", async () => {
    // a backoff long enough that the abort below lands inside it even on a loaded machine
    h.upstreams.eu.next({ status: 429, headers: { "retry-after-ms": "1500" } });
    const ctl = new AbortController();
    const pending = chat(h, "solo", "cust-eu", {}, ctl.signal).catch((e: Error) => e);
    await until(() => h.upstreams.eu.hits === 1);
    await sleep(100);
    ctl.abort();
    expect(await pending).toBeInstanceOf(Error);
    await sleep(1_700); // past the backoff: the retry must not happen
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
  });

  it("a client abort mid-stream cancels the upstream stream", async () => {
    h.upstreams.eu.next({ chunkIntervalMs: 200 });
    const ctl = new AbortController();
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...h.auth },
      body: JSON.stringify({
        model: "solo",
        stream: true,
        user: "cust-eu",
        messages: [{ role: "user", content: "x" }],
      }),
      signal: ctl.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    ctl.abort();
    await until(() => h.upstreams.eu.requests[0]?.aborted === true);
    expect(h.upstreams.eu.hits).toBe(1);
  });
});
