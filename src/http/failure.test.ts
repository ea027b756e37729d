import { describe, expect, it } from "vitest";
import { gatewayError } from "../errors.js";
import type { AttemptFailure } from "../upstream/errors.js";
import { failureReply, retryAdvice } from "./failure.js";

const failure = (kind: AttemptFailure["kind"], status: number, retryAfterMs?: number): AttemptFailure => ({
  kind,
  status,
  message: "m",
  type: "api_error",
  code: "upstream_error",
  param: null,
  retryAfterMs,
  passHeaders: undefined,
});

describe("retryAdvice (x-should-retry)", () => {
  it("says false once the gateway spent retries on a retryable class and gives no Retry-After", () => {
    for (const [kind, status] of [
      ["rate_limit", 429],
      ["server", 500],
      ["timeout", 504],
      ["connection", 502],
    ] as const)
      expect(retryAdvice(failure(kind, status), 3)).toEqual({ "x-should-retry": "false" });
  });

  it("says nothing after a single attempt, for request-side classes, or with a Retry-After", () => {
    expect(retryAdvice(failure("rate_limit", 429), 1)).toBeUndefined();
    expect(retryAdvice(failure("bad_request", 400), 3)).toBeUndefined();
    const limited = failure("rate_limit", 429, 2_000);
    expect(retryAdvice(limited, 3)).toBeUndefined();
    expect(failureReply(limited).headers["retry-after"]).toBe("2");
    const capacity = gatewayError(
      "region_capacity_exhausted",
      { group: "g", allowed: 'region "eu"', blocked: "cooling", retryAfter: 1 },
      { headers: { "retry-after": "1" } },
    );
    expect(retryAdvice(capacity, 2)).toBeUndefined();
  });

  it("a 500 with Retry-After is not passed a Retry-After, so it still says false", () => {
    expect(failureReply(failure("server", 500, 1_000)).headers["retry-after"]).toBeUndefined();
    expect(retryAdvice(failure("server", 500, 1_000), 3)).toEqual({ "x-should-retry": "false" });
  });
});
