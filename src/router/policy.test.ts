import { describe, expect, it } from "vitest";
import { routerConfig, seeded } from "../../test/router-fixtures.js";
import { failureFromError, failureFromResponse } from "../upstream/errors.js";
import { backoffMs, cooldownFor, MAX_HONOURED_RETRY_AFTER_MS, retriesFor } from "./policy.js";

const upstream = (status: number, headers: Record<string, string> = {}, body: unknown = {}) =>
  failureFromResponse(status, headers, Buffer.from(JSON.stringify(body)), "d");

describe("retriesFor", () => {
  it("gives transient failures num_retries and client errors none", () => {
    const cfg = routerConfig({ numRetries: 3 });
    for (const s of [429, 500, 502, 503, 504, 408]) expect(retriesFor(upstream(s).kind, cfg)).toBe(3);
    for (const s of [400, 401, 403, 404, 413, 422]) expect(retriesFor(upstream(s).kind, cfg)).toBe(0);
    expect(
      retriesFor(failureFromError(Object.assign(new Error(), { code: "ECONNRESET" }), "d", false).kind, cfg),
    ).toBe(3);
  });

  it("lets retry_policy override per error class, and deployment max_retries override num_retries", () => {
    const cfg = routerConfig({
      numRetries: 2,
      retryPolicy: { RateLimitErrorRetries: 5, TimeoutErrorRetries: 0, BadRequestErrorRetries: 1 },
    });
    expect(retriesFor("rate_limit", cfg)).toBe(5);
    expect(retriesFor("timeout", cfg)).toBe(0);
    expect(retriesFor("server", cfg)).toBe(2);
    expect(retriesFor("server", cfg, 4)).toBe(4);
    expect(retriesFor("rate_limit", cfg, 4)).toBe(5);
    expect(retriesFor("bad_request", cfg)).toBe(1);
    expect(retriesFor("auth", cfg)).toBe(0);
    expect(retriesFor("auth", routerConfig({ retryPolicy: { AuthenticationErrorRetries: 2 } }))).toBe(2);
    expect(retriesFor("aborted", cfg, 9)).toBe(0);
  });
});

describe("cooldownFor", () => {
  const cfg = routerConfig({ cooldownMs: 5000, allowedFails: 3 });

  it("cools at once on 429, 401, 404, 408 and 5xx, never on other 4xx", () => {
    for (const s of [429, 401, 404, 408, 500, 503, 504]) expect(cooldownFor(upstream(s), 1, cfg)).toBe(5000);
    for (const s of [400, 403, 413, 422]) expect(cooldownFor(upstream(s), 99, cfg)).toBe(0);
    const ctx = upstream(400, {}, { error: { message: "too long", code: "context_length_exceeded" } });
    expect(ctx.kind).toBe("context_window");
    expect(cooldownFor(ctx, 99, cfg)).toBe(0);
  });

  it("cools our own timeouts only after more than allowed_fails within the minute", () => {
    const t = failureFromError(new Error("x"), "d", true);
    expect(t.kind).toBe("timeout");
    expect(cooldownFor(t, 3, cfg)).toBe(0);
    expect(cooldownFor(t, 4, cfg)).toBe(5000);
  });

  it("lengthens the cooldown to the upstream Retry-After, and disable_cooldowns turns it off", () => {
    expect(cooldownFor(upstream(429, { "retry-after": "9" }), 1, cfg)).toBe(9000);
    expect(cooldownFor(upstream(429, { "retry-after": "1" }), 1, cfg)).toBe(5000);
    expect(cooldownFor(upstream(500), 9, routerConfig({ disableCooldowns: true }))).toBe(0);
  });

  it("spares a single-deployment group transient cooldowns but not misconfiguration", () => {
    expect(cooldownFor(upstream(429), 1, cfg, true)).toBe(0);
    expect(cooldownFor(upstream(500), 50, cfg, true)).toBe(0);
    expect(cooldownFor(upstream(401), 1, cfg, true)).toBe(5000);
  });
});

describe("backoffMs", () => {
  const rnd = seeded(1);
  it("switching to another deployment waits only retry_after", () => {
    expect(backoffMs(0, upstream(429, { "retry-after": "30" }), true, 0, rnd)).toBe(0);
    expect(backoffMs(3, upstream(500), true, 150, rnd)).toBe(150);
  });

  it("the same deployment: exponential backoff with jitter, or exactly what upstream asked", () => {
    for (let retry = 0; retry < 8; retry++) {
      const expo = Math.min(8000, 250 * 2 ** retry);
      for (let i = 0; i < 50; i++) {
        const w = backoffMs(retry, upstream(500), false, 0, rnd) as number;
        expect(w).toBeGreaterThanOrEqual(expo / 2);
        expect(w).toBeLessThanOrEqual(expo);
      }
    }
    expect(backoffMs(0, upstream(429, { "retry-after-ms": "40" }), false, 0, rnd)).toBe(40);
    expect(backoffMs(2, upstream(429, { "retry-after": "2" }), false, 0, rnd)).toBe(2000);
    expect(backoffMs(0, upstream(429, { "retry-after": "0" }), false, 100, rnd)).toBe(100);
    const tooLong = upstream(429, { "retry-after": String(MAX_HONOURED_RETRY_AFTER_MS / 1000 + 1) });
    expect(backoffMs(0, tooLong, false, 0, rnd)).toBeUndefined();
  });
});
