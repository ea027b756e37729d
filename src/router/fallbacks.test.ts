import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, hits, pinnedHarness, resetAll } from "../../test/router-gateway.js";

const CTX = {
  error: { message: "This model's maximum context length is 10 tokens", code: "context_length_exceeded" },
};
const POLICY = { error: { message: "flagged", type: "invalid_request_error", code: "content_filter" } };

/**
 * Fallback groups through the real gateway. Every group is region-filtered with the customer's own
 * policy: a group with nothing in region is skipped, never used as a way out of the region.
 */
describe("fallbacks", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("primary", "p-eu", "eu", "eu")}${deployment("primary", "p-us", "us", "us")}${deployment("backup-eu", "b-eu", "eu2", "eu")}${deployment("us-only", "u-us", "us", "us")}${deployment("big", "big-eu", "eu2", "eu")}${deployment("safe", "safe-eu", "eu2", "eu")}${deployment("default", "def-eu", "eu2", "eu")}${deployment("other", "o-eu", "eu", "eu")}${deployment("eu-only", "e-eu", "eu", "eu")}
router_settings:
  num_retries: 0
  disable_cooldowns: true
  fallbacks:
    - primary: ["us-only", "backup-eu"]
    - eu-only: ["us-only"]
  context_window_fallbacks: [{"primary": ["big"]}]
  content_policy_fallbacks: [{"primary": ["safe"]}]
  default_fallbacks: ["default"]
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  it("falls back group by group, skipping a group with nothing in the customer's region", async () => {
    h.upstreams.eu.next({ status: 500 });
    const r = await chat(h, "primary", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("backup-eu");
    expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("0");
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });

  it("a fallback list with only out-of-region groups is not an escape hatch", async () => {
    h.upstreams.eu.next({ status: 503 });
    const r = await chat(h, "eu-only", "cust-eu");
    expect(r.status).toBe(503);
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("0");
    expect(h.upstreams.us.hits).toBe(0);
    // the same failure for an unrestricted caller does use the US group: only the region stopped it
    h.upstreams.eu.next({ status: 503 });
    const open = await chat(h, "eu-only", undefined);
    expect(open.status).toBe(200);
    expect(open.headers.get("x-litellm-model-region")).toBe("us");
    expect(open.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
  });

  it("context_window_fallbacks take a context-length error to the bigger model", async () => {
    h.upstreams.eu.next({ status: 400, errorBody: CTX });
    const r = await chat(h, "primary", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("big");
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
  });

  it("content_policy_fallbacks take a content-filter error to their own list", async () => {
    h.upstreams.eu.next({ status: 400, errorBody: POLICY });
    const r = await chat(h, "primary", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("safe");
  });

  it("default_fallbacks serve a group without its own list", async () => {
    h.upstreams.eu.next({ status: 502 });
    const r = await chat(h, "other", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("default");
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
  });

  it("an auth failure falls back (another group has other credentials)", async () => {
    h.upstreams.eu.next({ status: 401 });
    const r = await chat(h, "other", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("default");
  });

  it("a plain 400 is the client's mistake: no fallback", async () => {
    h.upstreams.eu.next({ status: 400 });
    const r = await chat(h, "primary", "cust-eu");
    expect(r.status).toBe(400);
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("0");
    expect(hits(h)).toEqual({ eu: 1, eu2: 0, us: 0 });
  });

  it("when every group fails, the error names each attempt and is an OpenAI envelope", async () => {
    h.upstreams.eu.next({ status: 500 });
    h.upstreams.eu2.always = { status: 503 };
    const r = await chat(h, "primary", "cust-eu");
    expect(r.status).toBe(503);
    expect(r.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    expect(Object.keys(r.json.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(r.json.error.message).toContain("all 2 attempts failed: p-eu@eu=500, b-eu@eu=503");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("the US customer falls back within the US only", async () => {
    h.upstreams.us.next({ status: 500 });
    const r = await chat(h, "primary", "cust-us");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("us-only");
    expect(r.headers.get("x-litellm-model-region")).toBe("us");
    expect(h.upstreams.eu.hits + h.upstreams.eu2.hits).toBe(0);
  });

  it("a streamed request falls back before its first chunk", async () => {
    h.upstreams.eu.next({ status: 500 });
    const r = await chat(h, "primary", "cust-eu", { stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-group")).toBe("backup-eu");
    expect(r.text).toContain("Hello from eu2");
    expect(h.upstreams.us.hits).toBe(0);
  });
});
