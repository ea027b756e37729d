import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const yaml = (deadPort: number) => `
model_list:
  - model_name: chat
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
  - model_name: az
    litellm_params:
      model: azure/dep
      api_base: {{us}}
      api_key: az-us-upstream-secret
      region_name: us
  - model_name: slow
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
      timeout: 0.2
  - model_name: dead
    litellm_params:
      model: openai/gpt-4o
      api_base: http://127.0.0.1:${deadPort}/v1
      api_key: sk-dead-upstream-secret
      region_name: eu
router_settings:
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`;

const SECRETS = ["sk-eu-upstream-secret", "az-us-upstream-secret", "sk-dead-upstream-secret"];
const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

/** Checks every error response makes: the OpenAI envelope, no stack, no secret, our call id. */
function expectCleanEnvelope(r: Awaited<ReturnType<typeof post>>): void {
  expect(Object.keys(r.json)).toEqual(["error"]);
  expect(Object.keys(r.json.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof r.json.error.message).toBe("string");
  expect(typeof r.json.error.code).toBe("string");
  expect(r.text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);
  for (const s of SECRETS) expect(r.text).not.toContain(s);
  expect(r.headers.get("x-litellm-call-id")).toBeTruthy();
}

describe("upstream failure mapping", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: yaml(await closedPort()) });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  for (const status of [400, 401, 403, 404, 422, 429, 500, 503]) {
    it(`upstream ${status} reaches the client with its status and envelope, after one attempt`, async () => {
      h.upstreams.eu.next({
        status,
        errorBody: {
          error: {
            message: `upstream says ${status}`,
            type: "upstream_type",
            param: "messages",
            code: `c${status}`,
          },
        },
      });
      const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
      expect(r.status).toBe(status);
      expect(r.json.error).toEqual({
        message: `upstream says ${status}`,
        type: "upstream_type",
        param: "messages",
        code: `c${status}`,
      });
      expect(h.upstreams.eu.hits).toBe(1);
      expectCleanEnvelope(r);
      // the error still names the deployment and region that gave it
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
      expect(r.headers.get("x-litellm-model-api-base")).toBe(`${h.upstreams.eu.url}/v1`);
      expect(r.headers.get("x-litellm-model-id")).toBeTruthy();
    });
  }

  it("Azure upstream errors come back the same way", async () => {
    h.upstreams.us.next({ status: 500 });
    const r = await post(`${h.url}/openai/deployments/az/chat/completions`, chat("az"), h.auth);
    expect(r.status).toBe(500);
    expect(r.json.error.message).toBe("fake upstream us failing with 500");
    expectCleanEnvelope(r);
  });

  it("429 passes Retry-After and x-ratelimit-* through", async () => {
    h.upstreams.eu.next({
      status: 429,
      headers: { "retry-after": "3", "x-ratelimit-remaining-requests": "0", "set-cookie": "upstream=1" },
    });
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("3");
    expect(r.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(r.headers.get("set-cookie")).toBeNull();
  });

  it("a non-JSON upstream error body becomes an envelope without echoing the body", async () => {
    h.upstreams.eu.next({
      status: 502,
      errorBody: "<html><body>nginx: Bad Gateway at /srv/app.py:12</body></html>",
    });
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(502);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(r.json.error.type).toBe("api_error");
    expect(r.json.error.message).toContain("returned HTTP 502");
    expect(r.text).not.toContain("nginx");
    expectCleanEnvelope(r);
  });

  it("a huge upstream error body is not buffered: read up to 64 KB, answered as a generic envelope", async () => {
    h.upstreams.eu.next({
      status: 500,
      errorBody: `{"error": {"message": "${"x".repeat(8 * 1024 * 1024)}"}}`,
    });
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("returned HTTP 500");
    expect(r.text.length).toBeLessThan(2000);
    expectCleanEnvelope(r);
  });

  it("an upstream message that quotes the deployment's api key is redacted", async () => {
    h.upstreams.eu.next({
      status: 401,
      errorBody: {
        error: { message: "Incorrect API key provided: sk-eu-upstream-secret.", code: "invalid_api_key" },
      },
    });
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(401);
    expect(r.json.error.message).toContain("Incorrect API key provided");
    expectCleanEnvelope(r);
  });

  it("an upstream slower than the deployment timeout is a 504 upstream_timeout", async () => {
    h.upstreams.eu.next({ delayMs: 2000 });
    const r = await post(`${h.url}/chat/completions`, chat("slow"), h.auth);
    expect(r.status).toBe(504);
    expect(r.json.error).toMatchObject({ type: "timeout_error", code: "upstream_timeout" });
    expect(r.json.error.message).toContain("timed out");
    expect(h.upstreams.eu.hits).toBe(1);
    expectCleanEnvelope(r);
  });

  it("a hanging upstream is cut off at the timeout and sees the cancel", async () => {
    h.upstreams.eu.next({ hang: true });
    const r = await post(`${h.url}/embeddings`, { model: "slow", input: "x" }, h.auth);
    expect(r.status).toBe(504);
    expect(r.json.error.code).toBe("upstream_timeout");
    const end = Date.now() + 3000;
    while (!h.upstreams.eu.requests[0]?.aborted && Date.now() < end)
      await new Promise((s) => setTimeout(s, 10));
    expect(h.upstreams.eu.requests[0].aborted).toBe(true);
  });

  it("connection refused is a 502 upstream_connection_error", async () => {
    const r = await post(`${h.url}/chat/completions`, chat("dead"), h.auth);
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ type: "api_error", code: "upstream_connection_error" });
    expect(r.json.error.message).toContain("ECONNREFUSED");
    expectCleanEnvelope(r);
  });

  it("a connection reset is a 502 upstream_connection_error", async () => {
    h.upstreams.eu.next({ reset: true });
    const r = await post(`${h.url}/completions`, { model: "chat", prompt: "x" }, h.auth);
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe("upstream_connection_error");
    expectCleanEnvelope(r);
  });

  it("a client that gives up on a non-streaming request cancels the upstream call", async () => {
    h.upstreams.eu.next({ delayMs: 5000 });
    const ctl = new AbortController();
    const pending = fetch(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: JSON.stringify(chat("chat")),
      signal: ctl.signal,
    }).catch((e: Error) => e);
    const end = Date.now() + 3000;
    while (h.upstreams.eu.hits === 0 && Date.now() < end) await new Promise((s) => setTimeout(s, 10));
    ctl.abort();
    expect(await pending).toBeInstanceOf(Error);
    while (!h.upstreams.eu.requests[0]?.aborted && Date.now() < end)
      await new Promise((s) => setTimeout(s, 10));
    expect(h.upstreams.eu.requests[0].aborted).toBe(true);
  });

  it("the next request after a failure is served normally", async () => {
    h.upstreams.eu.next({ reset: true });
    await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    const r = await post(`${h.url}/chat/completions`, chat("chat"), h.auth);
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("Hello from eu");
  });
});
