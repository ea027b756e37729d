import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, pinCustomers, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { duplicateIdentityField } from "./duplicate-identity.js";

const msgs =
  '"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x"},{"role":"user","content":"y"}]';

describe("duplicateIdentityField", () => {
  it.each([
    [`{"model":"m",${msgs},"user":"cust-eu"}`, undefined],
    [`{"model":"m",${msgs},"user":"cust-eu","user":"other"}`, "user"],
    [`{"user" : "cust-eu", ${msgs}, "user"\n:"other"}`, "user"],
    // the same key to JSON.parse, spelled with an escape
    [`{"user":"cust-eu",${msgs},"us\\u0065r":"other"}`, "user"],
    [`{"metadata":{"user_id":"a","tier":"x","user_id":"b"}}`, "metadata.user_id"],
    [`{"litellm_metadata":{"user":"a","user":"b"}}`, "litellm_metadata.user"],
    [`{"metadata":{"user_id":"a"},"metadata":{}}`, "metadata"],
    [`{"safety_identifier":"a","safety_identifier":"b"}`, "safety_identifier"],
    // not identity fields where they stand: a tool schema's properties, another object's user_id
    [`{"tools":[{"parameters":{"properties":{"user":{},"user":{}}}}],"user":"a"}`, undefined],
    [`{"metadata":{"user_id":"a"},"extra":{"user_id":"b"}}`, undefined],
    [
      `{"messages":[{"role":"user","content":"{\\"user\\":\\"a\\",\\"user\\":\\"b\\"}"}],"user":"a"}`,
      undefined,
    ],
  ])("%s", (text, want) => {
    JSON.parse(text); // every case is valid JSON
    expect(duplicateIdentityField(text)).toBe(want);
  });
});

/**
 * End to end, for a customer pinned to eu: an end-user id that the gateway would read differently
 * from another parser, or not exactly as sent, is refused before anything reaches a deployment.
 */
describe("ambiguous or unreadable end-user ids in the body", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
    await pinCustomers(h, { "cust-eu": "eu" });
  });
  afterAll(async () => h.close());

  const send = async (body: string | Buffer) => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
    const r = await fetch(`${h.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: typeof body === "string" ? body : new Uint8Array(body),
    });
    const json = (await r.json()) as { error?: { code: string; param: string | null } };
    return { status: r.status, error: json.error, upstream: h.upstreams.eu.hits + h.upstreams.us.hits };
  };
  const chat = '"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hi"}]';

  it("a body naming its user twice is 400 conflicting_identity; nothing is sent", async () => {
    for (const dup of ['"user":"cust-eu","user":"other"', '"user":"cust-eu","us\\u0065r":"other"']) {
      const r = await send(`{${chat},${dup}}`);
      expect(r).toMatchObject({
        status: 400,
        error: { code: "conflicting_identity", param: "user" },
        upstream: 0,
      });
    }
    expect(await send(`{${chat},"user":"cust-eu"}`)).toMatchObject({ status: 200, upstream: 1 });
  });

  it("bytes that are not UTF-8 are refused, not replaced: cust-eu\\xff does not become an unknown customer", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`{${chat},"user":"cust-eu`),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    expect(await send(bytes)).toMatchObject({ status: 400, error: { code: "invalid_json" }, upstream: 0 });
    // a real U+FFFD, sent as its UTF-8 bytes, is text like any other
    const ok = await send(`{${chat},"messages":[{"role":"user","content":"\ufffd"}],"user":"cust-eu"}`);
    expect(ok).toMatchObject({ status: 200, upstream: 1 });
  });

  it("in a commented (lenient) body, a quote inside a comment does not hide a repeated user", async () => {
    const r = await send(`{${chat}, # the "customer\n "user":"cust-eu",\n "user":"other"}`);
    expect(r).toMatchObject({
      status: 400,
      error: { code: "conflicting_identity", param: "user" },
      upstream: 0,
    });
  });

  it("an unpaired surrogate in user is 400 invalid_identity", async () => {
    const r = await send(`{${chat},"user":"cust-eu\\ud800"}`);
    expect(r).toMatchObject({ status: 400, error: { code: "invalid_identity", param: "user" }, upstream: 0 });
  });
});
