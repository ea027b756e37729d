import { describe, expect, it } from "vitest";
import { failureFromError, failureFromResponse, rateLimitHeaders, retryAfterMs } from "./errors.js";

const res = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  failureFromResponse(
    status,
    headers,
    Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
    "dep x",
  );

describe("failureFromResponse", () => {
  it("classifies statuses into the retry/cooldown classes", () => {
    const kinds = [429, 408, 504, 401, 403, 404, 500, 503, 400, 413, 422].map((s) => [s, res(s, {}).kind]);
    expect(Object.fromEntries(kinds)).toEqual({
      429: "rate_limit",
      408: "timeout",
      504: "timeout",
      401: "auth",
      403: "auth",
      404: "not_found",
      500: "server",
      503: "server",
      400: "bad_request",
      413: "bad_request",
      422: "bad_request",
    });
    expect(res(504, {}).local).toBeUndefined();
  });

  it("recognises context-window and content-policy errors by code or message", () => {
    expect(res(400, { error: { message: "x", code: "context_length_exceeded" } }).kind).toBe(
      "context_window",
    );
    expect(res(400, { error: { message: "This model's maximum context length is 4097 tokens" } }).kind).toBe(
      "context_window",
    );
    expect(res(400, { error: { message: "x", code: "content_filter" } }).kind).toBe("content_policy");
    expect(res(400, { error: { message: "flagged by our content management policy" } }).kind).toBe(
      "content_policy",
    );
  });

  it("keeps upstream's envelope fields and never echoes a non-JSON body", () => {
    const f = res(503, { error: { message: "overloaded", type: "server_error", code: "busy", param: "p" } });
    expect(f).toMatchObject({
      status: 503,
      message: "overloaded",
      type: "server_error",
      code: "busy",
      param: "p",
    });
    const g = res(502, "<html>secret stack</html>");
    expect(g.message).toBe("dep x returned HTTP 502");
    expect(g.code).toBe("upstream_error");
    expect(res(401, { error: { message: "bad key", code: "401" } }).code).toBe("upstream_auth_error");
    expect(res(429, "{}").code).toBe("upstream_rate_limited");
  });
});

describe("failureFromError", () => {
  it("maps our timer, undici timeouts, aborts and socket errors, marked local", () => {
    const t = failureFromError(new Error("aborted"), "d", true);
    expect(t).toMatchObject({ kind: "timeout", status: 504, code: "upstream_timeout", local: true });
    expect(failureFromError({ code: "UND_ERR_HEADERS_TIMEOUT" }, "d", false).kind).toBe("timeout");
    expect(failureFromError({ name: "AbortError" }, "d", false)).toMatchObject({
      kind: "aborted",
      status: 499,
    });
    const c = failureFromError({ code: "UND_ERR_SOCKET" }, "d", false);
    expect(c).toMatchObject({
      kind: "connection",
      status: 502,
      code: "upstream_connection_error",
      local: true,
    });
    expect(c.message).toContain("UND_ERR_SOCKET");
  });
});

describe("retryAfterMs", () => {
  it("reads retry-after-ms first, then seconds, then an HTTP date", () => {
    expect(retryAfterMs({ "retry-after-ms": "250", "retry-after": "9" })).toBe(250);
    expect(retryAfterMs({ "retry-after": "2" })).toBe(2000);
    expect(retryAfterMs({ "retry-after": "0.5" })).toBe(500);
    const at = retryAfterMs({ "retry-after": new Date(Date.now() + 10_000).toUTCString() }) as number;
    expect(at).toBeGreaterThan(8_000);
    expect(at).toBeLessThanOrEqual(10_000);
    expect(retryAfterMs({ "retry-after": "soon" })).toBeUndefined();
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "-5" })).toBe(0);
    expect(res(429, {}, { "retry-after-ms": "70" }).retryAfterMs).toBe(70);
  });

  it("passes only x-ratelimit-* headers through", () => {
    expect(rateLimitHeaders({ "x-ratelimit-remaining-requests": "3", "set-cookie": "a" })).toEqual({
      "x-ratelimit-remaining-requests": "3",
    });
    expect(rateLimitHeaders({ server: "x" })).toBeUndefined();
  });
});
