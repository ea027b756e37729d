import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROXY_OPERATIONS } from "../http/routes.js";
import { validateBody } from "../http/validate.js";
import { documentedOperations, proxyBodySchema } from "./proxy-schemas.js";

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 3 }),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.oneof(fc.string({ maxLength: 2 }), fc.constant(null)), { maxLength: 2 }),
  fc.array(
    fc.record(
      { role: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)), content: fc.string() },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  ),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 }), { maxKeys: 2 }),
);
const body = fc.oneof(
  fc.record(
    { model: value, messages: value, prompt: value, input: value, stream: value, user: value, extra: value },
    { requiredKeys: [] },
  ),
  value,
);

describe("proxy body schemas (the OpenAPI document's) agree with the validator", () => {
  it("every proxy operation has a documented body", () => {
    const documented = new Set<string>(documentedOperations());
    for (const { op } of PROXY_OPERATIONS) expect(documented.has(op), op).toBe(true);
  });

  for (const op of documentedOperations()) {
    for (const pathModel of [false, true]) {
      it(`${op}${pathModel ? " (model in the path)" : ""}: accepted by one iff by the other`, () => {
        const schema = proxyBodySchema(op, pathModel);
        fc.assert(
          fc.property(body, (b) => {
            let valid = true;
            try {
              validateBody(op, b, pathModel ? "m" : undefined);
            } catch {
              valid = false;
            }
            // The validator treats an absent body ("" / null / undefined) as empty: so does the schema.
            expect(schema?.safeParse(b).success, JSON.stringify(b)).toBe(valid);
          }),
          { numRuns: 2000 },
        );
      });
    }
  }
});
