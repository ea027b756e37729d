import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { FakeUpstream } from "../demo/fake-upstream.js";
import { publicApiBase } from "./deployment.js";

describe("publicApiBase", () => {
  const cases: Array<[string, string | undefined]> = [
    ["http://user:pw@host/path?code=x", "http://host/path"],
    ["https://host.example/api?code=abc#frag", "https://host.example/api"],
    ["https://user@host.example", "https://host.example"],
    ["https://a:b@c:d@host.example:8443/v1/", "https://host.example:8443/v1/"],
    ["https://host.example/p@th", "https://host.example/p@th"],
    // kept exactly as configured when there is nothing to strip
    ["https://my-endpoint.openai.azure.com/", "https://my-endpoint.openai.azure.com/"],
    ["http://127.0.0.1:4000", "http://127.0.0.1:4000"],
    ["", undefined],
    ["not a url", undefined],
  ];
  for (const [input, want] of cases) {
    it(`${input || "(empty)"} -> ${want}`, () => expect(publicApiBase(input)).toBe(want));
  }
});

describe("api_base credentials never reach clients", () => {
  let h: Harness;
  beforeAll(async () => {
    const eu = await new FakeUpstream({ label: "eu" }).start();
    h = await startHarness({
      shared: { eu },
      yaml: `
model_list:
  - model_name: m-query
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1?code=func-secret", region_name: eu }
  - model_name: m-userinfo
    litellm_params: { model: openai/gpt-4o, api_base: "${eu.url.replace("http://", "http://bob:pw-secret@")}/v1", region_name: eu }
general_settings:
  master_key: sk-1234
`,
      upstreams: ["eu"],
    });
  });
  afterAll(async () => {
    await h.close();
    await h.upstreams.eu.stop();
  });

  it("response headers and /model/info show the api_base without user info or query", async () => {
    const eu = h.upstreams.eu.url;
    for (const model of ["m-query", "m-userinfo"]) {
      const r = await post(
        `${h.url}/chat/completions`,
        { model, messages: [{ role: "user", content: "hi" }] },
        h.auth,
      );
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get("x-litellm-api-base")).toBe(`${eu}/v1`);
      expect(r.headers.get("x-litellm-model-api-base")).toBe(`${eu}/v1`);
      expect([...r.headers.values()].join(" ")).not.toMatch(/secret/);
    }
    const info = await get(`${h.url}/model/info`, h.auth);
    expect(info.text).not.toMatch(/secret|bob/);
    expect(
      info.json.data.map((d: { litellm_params: { api_base: string } }) => d.litellm_params.api_base),
    ).toEqual([`${eu}/v1`, `${eu}/v1`]);
  });
});
