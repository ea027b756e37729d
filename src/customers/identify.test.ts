import { describe, expect, it } from "vitest";
import { identifyEndUser } from "./identify.js";

/** LiteLLM's precedence (test_auth_utils): headers beat body; body user beats metadata. */
describe("identifyEndUser", () => {
  const sources = {
    "x-litellm-customer-id": (h: Record<string, string>) => {
      h["x-litellm-customer-id"] = "from-customer-header";
    },
    "x-litellm-end-user-id": (h: Record<string, string>) => {
      h["x-litellm-end-user-id"] = "from-end-user-header";
    },
    user: (_h: Record<string, string>, b: Record<string, unknown>) => {
      b.user = "from-user";
    },
    "litellm_metadata.user": (_h: Record<string, string>, b: Record<string, unknown>) => {
      b.litellm_metadata = { user: "from-litellm-metadata" };
    },
    "metadata.user_id": (_h: Record<string, string>, b: Record<string, unknown>) => {
      b.metadata = { user_id: "from-metadata" };
    },
    safety_identifier: (_h: Record<string, string>, b: Record<string, unknown>) => {
      b.safety_identifier = "from-safety";
    },
  } as const;
  const order = Object.keys(sources) as Array<keyof typeof sources>;

  // Every non-empty combination of the six sources: the first in precedence order must win.
  const combos: Array<Array<keyof typeof sources>> = [];
  for (let mask = 1; mask < 1 << order.length; mask++) combos.push(order.filter((_, i) => mask & (1 << i)));

  it.each(combos.map((c) => [c.join(" + "), c] as const))("%s", (_name, combo) => {
    const headers: Record<string, string> = {};
    const body: Record<string, unknown> = {};
    for (const s of combo) sources[s](headers, body);
    const got = identifyEndUser(headers, body);
    expect(got?.source).toBe(combo[0]);
  });

  it("ignores blank and non-string values", () => {
    expect(identifyEndUser({ "x-litellm-customer-id": "  " }, { user: "" })).toBeUndefined();
    expect(identifyEndUser({}, { user: 42, metadata: { user_id: "m" } })).toEqual({
      id: "m",
      source: "metadata.user_id",
    });
    expect(identifyEndUser({}, { metadata: "nope", litellm_metadata: [1] })).toBeUndefined();
  });

  it("trims ids", () => {
    expect(identifyEndUser({ "x-litellm-end-user-id": " abc " }, {})?.id).toBe("abc");
  });
});
