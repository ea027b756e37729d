import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonBody } from "./json-body.js";

const nested = (n: number) => "[".repeat(n) + "]".repeat(n);

describe("parseJsonBody", () => {
  it("parses strict JSON, and documentation-style JSON leniently", () => {
    expect(parseJsonBody('{"a":[1,2]}')).toMatchObject({ value: { a: [1, 2] }, lenient: false });
    expect(parseJsonBody('{"a": 1, # note\n}')).toMatchObject({ value: { a: 1 }, lenient: true });
    expect(() => parseJsonBody("{nope")).toThrow(SyntaxError);
  });

  it("the lenient retry leaves strings as sent: commas, brackets, # and // inside them stay", () => {
    const content = 'keep this: [a, ] and {b, } # not a comment // nor this, "quoted,]"';
    const body = `{"messages":[{"role":"user","content":${JSON.stringify(content)}},], # note\n "user":"cust-eu",\n}`;
    expect(parseJsonBody(body)).toMatchObject({
      value: { messages: [{ role: "user", content }], user: "cust-eu" },
      lenient: true,
    });
    // a comment between a trailing comma and its bracket
    expect(parseJsonBody('{"a": [1, 2, // two\n ], "b": 3, # three\n}').value).toEqual({ a: [1, 2], b: 3 });
    // a comma followed by a value is not trailing
    expect(() => parseJsonBody('{"a": 1,, # x\n}')).toThrow(SyntaxError);
  });

  it("accepts nesting up to the limit and refuses one level more with nesting_too_deep", () => {
    expect(() => parseJsonBody(nested(MAX_JSON_DEPTH))).not.toThrow();
    let err: unknown;
    try {
      parseJsonBody(`{"messages":${nested(MAX_JSON_DEPTH)}}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe("nesting_too_deep");
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).message).toContain(String(MAX_JSON_DEPTH));
  });

  it("refuses the issue's body: 200,000 levels (Node 20's JSON.stringify overflows on it; Node 26's does not)", () => {
    const deep = nested(200_000);
    expect(() => JSON.parse(deep)).not.toThrow();
    expect(() => parseJsonBody(deep)).toThrow(GatewayError);
  });

  it("checks the depth of the lenient text too", () => {
    expect(() => parseJsonBody(`${nested(MAX_JSON_DEPTH + 1)} # deep`)).toThrow(GatewayError);
  });
});

describe("jsonDepthExceeds", () => {
  it("counts brackets outside strings only, escapes included", () => {
    const inString = JSON.stringify({ s: `${"[".repeat(50)}\\"${"{".repeat(50)}` });
    expect(jsonDepthExceeds(inString, 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":{"c":[1]}}}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":{"c":1}}, "d":[[1]]}', 3)).toBe(false);
    expect(jsonDepthExceeds('["\\\\", [[["x"]]]]', 3)).toBe(true);
  });
});
