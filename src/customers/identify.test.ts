import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { identifyEndUser, normalizeId } from "./identify.js";

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
    expect(identifyEndUser({}, { user: null, metadata: { user_id: "m" } })).toEqual({
      id: "m",
      source: "metadata.user_id",
    });
    expect(identifyEndUser({}, { metadata: "nope", litellm_metadata: [1] })).toBeUndefined();
  });

  it("trims ids", () => {
    expect(identifyEndUser({ "x-litellm-end-user-id": " abc " }, {})?.id).toBe("abc");
  });
});

/** The GatewayError code and param identifyEndUser throws, or "ok:<id>". */
function outcome(h: Record<string, string | string[]>, b: Record<string, unknown>, raw?: string[]): string {
  try {
    return `ok:${identifyEndUser(h, b, raw)?.id}`;
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    expect(err.status).toBe(400);
    return `${err.code}:${err.param}`;
  }
}

/** What node hands us for these header bytes: a latin1 string. */
const wire = (s: string) => Buffer.from(s, "utf8").toString("latin1");

describe("identities that cannot be read exactly are refused, never absent", () => {
  const H = "x-litellm-customer-id";

  it("repeated identical header values count as one; different ones are refused", () => {
    // node joins repeated headers with ", "; rawHeaders keeps them apart
    expect(outcome({ [H]: "eucust, eucust" }, {}, [H, "eucust", "X-LiteLLM-Customer-Id", " eucust"])).toBe(
      "ok:eucust",
    );
    expect(outcome({ [H]: "eucust, uscust" }, { user: "eucust" }, [H, "eucust", H, "uscust"])).toBe(
      `conflicting_identity:${H}`,
    );
    expect(outcome({ [H]: ["a", "b"] }, {})).toBe(`conflicting_identity:${H}`);
    // one value that holds a comma is one id
    expect(outcome({ [H]: "doe, jane" }, {}, [H, "doe, jane"])).toBe("ok:doe, jane");
  });

  it("decodes header bytes as UTF-8 and refuses bytes that are not", () => {
    expect(outcome({ [H]: wire("müller") }, {})).toBe("ok:müller");
    expect(outcome({ "x-litellm-end-user-id": wire(" Zoë-à ") }, {})).toBe("ok:Zoë-à");
    // latin1 bytes (python-requests' default): not UTF-8
    expect(outcome({ [H]: "m\xfcller" }, { user: "x" })).toBe(`invalid_identity:${H}`);
  });

  it("refuses percent-escapes in headers (ambiguous) but keeps a lone % and body text literal", () => {
    expect(outcome({ [H]: "m%C3%BCller" }, { user: "müller" })).toBe(`invalid_identity:${H}`);
    expect(outcome({ [H]: "50%" }, {})).toBe("ok:50%");
    expect(outcome({}, { user: "m%C3%BCller" })).toBe("ok:m%C3%BCller");
  });

  it("refuses control characters anywhere", () => {
    expect(outcome({ [H]: "eu\tcust" }, {})).toBe(`invalid_identity:${H}`);
    expect(outcome({ [H]: wire("eu\u0085") }, {})).toBe(`invalid_identity:${H}`);
    expect(outcome({}, { user: "eu\u0000cust" })).toBe("invalid_identity:user");
    expect(outcome({}, { metadata: { user_id: "a\nb" } })).toBe("invalid_identity:metadata.user_id");
    expect(outcome({}, { safety_identifier: "\u007f" })).toBe("invalid_identity:safety_identifier");
  });

  it("refuses non-string identity fields instead of skipping them", () => {
    expect(outcome({}, { metadata: { user_id: 42 } })).toBe("invalid_identity:metadata.user_id");
    expect(outcome({}, { litellm_metadata: { user: ["a"] } })).toBe("invalid_identity:litellm_metadata.user");
  });

  it("normalises to NFC everywhere", () => {
    const nfd = "mu\u0308ller";
    expect(outcome({ [H]: wire(nfd) }, {})).toBe("ok:müller");
    expect(outcome({}, { user: nfd })).toBe("ok:müller");
    expect(outcome({ [H]: `${wire(nfd)}, ${wire("müller")}` }, {}, [H, wire(nfd), H, wire("müller")])).toBe(
      "ok:müller",
    );
    expect(normalizeId(nfd)).toBe("müller");
    expect(normalizeId("plain")).toBe("plain");
  });

  it("takes an already-decoded header (in-process inject) as text", () => {
    expect(outcome({ [H]: "łódź" }, {})).toBe("ok:łódź");
  });
});
