import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";

const MODELS = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-upstream-secret
      region_name: eu
`;
const WITH_KEY = `${MODELS}general_settings:\n  master_key: sk-1234\n`;
const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] };

function expect401(r: Awaited<ReturnType<typeof post>>, presented?: string): void {
  expect(r.status).toBe(401);
  expect(r.json).toEqual({
    error: { message: expect.any(String), type: "auth_error", param: null, code: "invalid_api_key" },
  });
  if (presented) expect(r.text).not.toContain(presented);
  expect(r.text).not.toContain("sk-1234");
  expect(r.headers.get("x-litellm-call-id")).toMatch(/^[0-9a-f-]{36}$/);
}

describe("auth with a master key", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: WITH_KEY, upstreams: ["eu"] });
  });
  afterAll(async () => h.close());

  const accepted: Array<[string, Record<string, string>]> = [
    ["x-litellm-api-key", { "x-litellm-api-key": "sk-1234" }],
    ["x-litellm-api-key with a Bearer prefix", { "x-litellm-api-key": "Bearer sk-1234" }],
    ["Authorization: Bearer", { authorization: "Bearer sk-1234" }],
    ["Authorization: bearer (any case)", { authorization: "bearer sk-1234" }],
    ["api-key (Azure SDKs)", { "api-key": "sk-1234" }],
    ["x-api-key", { "x-api-key": "sk-1234" }],
  ];
  for (const [name, headers] of accepted) {
    it(`accepts the key in ${name}`, async () => {
      const r = await post(`${h.url}/chat/completions`, chat, headers);
      expect(r.status, r.text).toBe(200);
    });
  }

  // First header found wins, in LiteLLM's order; a later right key does not rescue an earlier wrong one.
  const precedence: Array<[string, Record<string, string>]> = [
    [
      "wrong x-litellm-api-key, right Bearer",
      { "x-litellm-api-key": "sk-wrong", authorization: "Bearer sk-1234" },
    ],
    ["wrong Bearer, right api-key", { authorization: "Bearer sk-wrong", "api-key": "sk-1234" }],
    ["wrong api-key, right x-api-key", { "api-key": "sk-wrong", "x-api-key": "sk-1234" }],
  ];
  for (const [name, headers] of precedence) {
    it(`rejects ${name}`, async () => {
      expect401(await post(`${h.url}/chat/completions`, chat, headers), "sk-wrong");
    });
  }

  it("a right earlier header wins over a wrong later one", async () => {
    const r = await post(`${h.url}/chat/completions`, chat, {
      "x-litellm-api-key": "sk-1234",
      authorization: "Bearer sk-wrong",
    });
    expect(r.status).toBe(200);
  });

  it("a missing key is 401 invalid_api_key with type auth_error", async () => {
    const r = await post(`${h.url}/chat/completions`, chat);
    expect401(r);
    expect(r.json.error.message).toMatch(/no API key/i);
  });

  it("a wrong key is 401 and is not echoed back", async () => {
    expect401(
      await post(
        `${h.url}/v1/embeddings`,
        { model: "gpt-4o", input: "x" },
        { authorization: "Bearer sk-guess-123" },
      ),
      "sk-guess-123",
    );
  });

  it("a prefix or extension of the key is wrong too", async () => {
    for (const k of ["sk-123", "sk-12345", " sk-1234x", "SK-1234"]) {
      expect401(await post(`${h.url}/chat/completions`, chat, { "x-api-key": k }));
    }
  });

  it("an empty header does not count as presenting a key", async () => {
    const r = await post(`${h.url}/chat/completions`, chat, {
      "x-litellm-api-key": "",
      authorization: "Bearer sk-1234",
    });
    expect(r.status).toBe(200);
  });

  it("every non-public route needs the key; health probes do not", async () => {
    for (const path of ["/models", "/v1/models", "/model/info", "/end_user/list"]) {
      expect401(await get(`${h.url}${path}`));
      expect((await get(`${h.url}${path}`, h.auth)).status).toBe(200);
    }
    expect((await get(`${h.url}/health/liveliness`)).status).toBe(200);
    expect((await get(`${h.url}/health/readiness`)).status).toBe(200);
  });

  it("nothing reached the upstream without a valid key", () => {
    expect(h.upstreams.eu.hits).toBe(accepted.length + 2);
  });
});

describe("auth without a master key", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      yaml: MODELS,
      upstreams: ["eu"],
      env: { LITELLM_MASTER_KEY: "", MERIDIAN_MASTER_KEY: "" },
    });
  });
  afterAll(async () => h.close());

  it("is open: no key and any key are both served", async () => {
    expect((await post(`${h.url}/chat/completions`, chat)).status).toBe(200);
    expect((await post(`${h.url}/chat/completions`, chat, { authorization: "Bearer whatever" })).status).toBe(
      200,
    );
    expect((await get(`${h.url}/v1/models`)).status).toBe(200);
  });
});

describe("master key from the environment", () => {
  for (const name of ["LITELLM_MASTER_KEY", "MERIDIAN_MASTER_KEY"]) {
    it(`${name} turns auth on`, async () => {
      const h = await startHarness({ yaml: MODELS, upstreams: ["eu"], env: { [name]: "sk-from-env" } });
      try {
        expect401(await post(`${h.url}/chat/completions`, chat));
        expect401(await post(`${h.url}/chat/completions`, chat, { authorization: "Bearer sk-1234" }));
        const r = await post(`${h.url}/chat/completions`, chat, { authorization: "Bearer sk-from-env" });
        expect(r.status).toBe(200);
      } finally {
        await h.close();
      }
    });
  }

  it("general_settings.master_key wins over the environment", async () => {
    const h = await startHarness({
      yaml: WITH_KEY,
      upstreams: ["eu"],
      env: { LITELLM_MASTER_KEY: "sk-from-env" },
    });
    try {
      expect((await post(`${h.url}/chat/completions`, chat, h.auth)).status).toBe(200);
      expect401(await post(`${h.url}/chat/completions`, chat, { authorization: "Bearer sk-from-env" }));
    } finally {
      await h.close();
    }
  });
});
