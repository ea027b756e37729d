import { describe, expect, it } from "vitest";
import { MasterKey, presentedKey } from "./keys.js";

describe("MasterKey.matches", () => {
  const m = new MasterKey("sk-1234");
  it("accepts the exact key only", () => {
    expect(m.matches("sk-1234")).toBe(true);
    for (const bad of ["sk-1235", "sk-123", "sk-12345", "SK-1234", "sk-1234 ", "", "x", "sk-1234sk-1234"])
      expect(m.matches(bad), bad).toBe(false);
    expect(m.matches(undefined)).toBe(false);
  });
  it("tells apart keys that differ only beyond the candidate's length or in non-ASCII characters", () => {
    const u = new MasterKey("sk-ü€-key");
    expect(u.matches("sk-ü€-key")).toBe(true);
    expect(u.matches("sk-u€-key")).toBe(false);
    // a candidate that repeats a prefix of the key must not pass the wrap-around comparison
    expect(new MasterKey("abab").matches("ab")).toBe(false);
    expect(new MasterKey("aaaa").matches("a")).toBe(false);
  });
});

describe("presentedKey", () => {
  it("reads LiteLLM's header order", () => {
    expect(presentedKey({ authorization: "Bearer sk-a", "api-key": "sk-b" })).toBe("sk-a");
    expect(presentedKey({ "x-litellm-api-key": "Bearer sk-c", authorization: "Bearer sk-a" })).toBe("sk-c");
    expect(presentedKey({ "api-key": "sk-b" })).toBe("sk-b");
    expect(presentedKey({ authorization: "Basic abc" })).toBeUndefined();
  });
});
