import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { deployment, pinnedHarness, resetAll } from "../../test/router-gateway.js";

/** Issue item 6: the SDK's retries on top of the gateway's multiplied the calls an upstream got. */
describe("retry amplification through the official openai SDK", () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("solo", "solo-eu", "eu", "eu")}${deployment("solo", "solo-us", "us", "us")}
router_settings:
  num_retries: 2
  retry_after: 0
general_settings:
  master_key: sk-1234
`);
    // The SDK's defaults: 2 retries (3 tries).
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234" });
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  const ask = () =>
    client.chat.completions
      .create({ model: "solo", messages: [{ role: "user", content: "hi" }], user: "cust-eu" })
      .then(
        () => undefined,
        (e: APIError) => e,
      );

  it("a 429 with num_retries 2 reaches the upstream 3 times, not 9: the answer says x-should-retry: false", async () => {
    h.upstreams.eu.always = { status: 429 };
    const err = await ask();
    expect(err?.status).toBe(429);
    expect(err?.headers?.get("x-should-retry")).toBe("false");
    expect(err?.headers?.get("x-litellm-attempted-retries")).toBe("2");
    expect(h.upstreams.eu.hits).toBe(3);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("a 500 likewise", async () => {
    h.upstreams.eu.always = { status: 500 };
    const err = await ask();
    expect(err?.status).toBe(500);
    expect(h.upstreams.eu.hits).toBe(3);
  });

  it("with the upstream's Retry-After passed on, the SDK stays free to retry after it", async () => {
    h.upstreams.eu.always = { status: 429, headers: { "retry-after-ms": "5" } };
    const err = await ask();
    expect(err?.status).toBe(429);
    expect(err?.headers?.get("retry-after")).toBe("1");
    expect(err?.headers?.get("x-should-retry")).toBeNull();
    expect(h.upstreams.eu.hits).toBe(9);
    expect(h.upstreams.us.hits).toBe(0);
  });
});
