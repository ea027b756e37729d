import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, hits, pinnedHarness, resetAll } from "../../test/router-gateway.js";

/** Retries through the real gateway: counts, per-class policy, what is never retried, Retry-After. */
describe("retries", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("chat", "eu-a", "eu", "eu", { order: 1 })}${deployment("chat", "eu-b", "eu2", "eu", { order: 2 })}${deployment("chat", "us-a", "us", "us", { order: 1 })}${deployment("solo", "solo-eu", "eu", "eu")}${deployment("strict", "strict-eu", "eu", "eu", { max_retries: 0 })}${deployment("strict", "strict-eu2", "eu2", "eu", { max_retries: 0 })}
router_settings:
  num_retries: 2
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  it("retries a 5xx on another in-region deployment and says so in the headers", async () => {
    h.upstreams.eu.next({ status: 500 });
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("eu-b");
    expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("0");
    expect(r.headers.get("x-litellm-max-retries")).toBe("2");
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });

  it("makes num_retries retries at most, never out of region, and names every attempt", async () => {
    h.upstreams.eu.always = { status: 503 };
    h.upstreams.eu2.always = { status: 500 };
    const r = await chat(h, "chat", "cust-eu");
    // a, then the untried b, then a again (lower order): the last failure is the one reported
    expect(r.status).toBe(503);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("2");
    expect(r.json.error.message).toContain("all 3 attempts failed: eu-a@eu=503, eu-b@eu=500, eu-a@eu=503");
    expect(hits(h)).toEqual({ eu: 2, eu2: 1, us: 0 });
  });

  it("an unrestricted request without failures makes no retry", async () => {
    const r = await chat(h, "chat", undefined);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("0");
  });

  for (const status of [400, 401, 403, 404, 413, 422]) {
    it(`never retries a ${status}`, async () => {
      h.upstreams.eu.next({ status });
      const r = await chat(h, "chat", "cust-eu");
      expect(r.status).toBe(status);
      const code = {
        400: "upstream_bad_request",
        401: "upstream_auth_error",
        403: "upstream_auth_error",
        404: "upstream_not_found",
        413: "upstream_bad_request",
        422: "upstream_bad_request",
      }[status];
      expect(r.json.error).toMatchObject({ code });
      expect(r.headers.get("x-litellm-attempted-retries")).toBe("0");
      expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
    });
  }

  it("a deployment's max_retries replaces num_retries for its failures", async () => {
    h.upstreams.eu.always = { status: 500 };
    h.upstreams.eu2.always = { status: 500 };
    const r = await chat(h, "strict", "cust-eu");
    expect(r.status).toBe(500);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("0");
    expect(h.upstreams.eu.hits + h.upstreams.eu2.hits).toBe(1);
  });

  it("retrying the same deployment waits what retry-after-ms asks", async () => {
    h.upstreams.eu.next({ status: 429, headers: { "retry-after-ms": "300" } });
    const t = Date.now();
    const r = await chat(h, "solo", "cust-eu");
    expect(r.status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(h.upstreams.eu.hits).toBe(2);
  });

  it("and what retry-after (seconds) asks", async () => {
    h.upstreams.eu.next({ status: 503, headers: { "retry-after": "0.4" } });
    const t = Date.now();
    const r = await chat(h, "solo", "cust-eu");
    expect(r.status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
  });

  it("without Retry-After the same deployment is retried after a jittered backoff", async () => {
    h.upstreams.eu.next({ status: 500 }, 2);
    const t = Date.now();
    const r = await chat(h, "solo", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("2");
    expect(Date.now() - t).toBeGreaterThanOrEqual(125 + 250);
  });

  it("another ready deployment does not wait for the failed one's Retry-After", async () => {
    h.upstreams.eu.next({ status: 429, headers: { "retry-after": "20" } });
    const t = Date.now();
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("eu-b");
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it("a streamed request is retried before its first chunk", async () => {
    h.upstreams.eu.next({ status: 502 });
    const r = await chat(h, "chat", "cust-eu", { stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(r.text).toContain("Hello from eu2");
    expect(r.text.trim().endsWith("data: [DONE]")).toBe(true);
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });
});

describe("retry_policy", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("chat", "eu-a", "eu", "eu", { order: 1 })}${deployment("chat", "eu-b", "eu2", "eu", { order: 2 })}${deployment("chat", "us-a", "us", "us")}
router_settings:
  num_retries: 1
  disable_cooldowns: true
  retry_policy:
    RateLimitErrorRetries: 0
    InternalServerErrorRetries: 3
    TimeoutErrorRetries: 0
    BadRequestErrorRetries: 1
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  it("RateLimitErrorRetries: 0 — a 429 is final", async () => {
    h.upstreams.eu.next({ status: 429 });
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(429);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("0");
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
  });

  it("InternalServerErrorRetries: 3 — overrides num_retries: 1", async () => {
    h.upstreams.eu.always = { status: 500 };
    h.upstreams.eu2.always = { status: 500 };
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(500);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("3");
    expect(h.upstreams.eu.hits + h.upstreams.eu2.hits).toBe(4);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("TimeoutErrorRetries: 0 — an upstream 408 is final", async () => {
    h.upstreams.eu.next({ status: 408 });
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(408);
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
  });

  it("BadRequestErrorRetries: 1 — the policy may opt a 400 into a retry", async () => {
    h.upstreams.eu.next({ status: 400 });
    const r = await chat(h, "chat", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });
});
