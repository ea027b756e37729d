import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";

const YAML = (extra = "") => `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
  - model_name: embed
    litellm_params:
      model: azure/embed-dep
      api_base: {{us}}
      api_key: az-us-upstream-secret
      region_name: us
general_settings:
  master_key: sk-1234
${extra}
`;

type Reply = Awaited<ReturnType<typeof post>>;

/** A 400-class answer in our envelope, naming `param`, with nothing internal in it. */
function expectRejected(r: Reply, status: number, code: string, param: string | null): void {
  expect(r.status, r.text).toBe(status);
  expect(r.json.error).toMatchObject({ code, param });
  expect(r.json.error.type).toBe("invalid_request_error");
  expect(typeof r.json.error.message).toBe("string");
  if (param) expect(r.json.error.message).toContain(param);
  expect(r.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|\.js:\d+/);
  expect(r.text).not.toContain("upstream-secret");
}

describe("bad input", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML() });
  });
  afterAll(async () => {
    // nothing malformed may ever reach an upstream
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);
    await h.close();
  });

  for (const body of ['{"model": "gpt-4o", "messages": [', "{model: gpt-4o}", "not json at all", "{}}"]) {
    it(`malformed JSON ${JSON.stringify(body)} is 400 invalid_json`, async () => {
      expectRejected(await post(`${h.url}/chat/completions`, body, h.auth), 400, "invalid_json", null);
    });
  }

  for (const body of ["[1, 2]", '"a string"', "42", "true", "null"]) {
    it(`a body that is not an object (${body}) is 400 naming the body`, async () => {
      const r = await post(`${h.url}/v1/chat/completions`, body, h.auth);
      expectRejected(r, 400, "invalid_request", null);
      expect(r.json.error.message).toMatch(/JSON object/);
    });
  }

  it("an empty body is 400", async () => {
    const r = await post(`${h.url}/v1/embeddings`, "", h.auth);
    expectRejected(r, 400, "invalid_request", null);
  });

  const chatOk = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] };
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ["chat", "/chat/completions", { messages: chatOk.messages }, "model"],
    ["chat", "/chat/completions", { ...chatOk, model: "" }, "model"],
    ["chat", "/chat/completions", { ...chatOk, model: 4 }, "model"],
    ["chat", "/chat/completions", { ...chatOk, model: ["gpt-4o"] }, "model"],
    ["chat", "/chat/completions", { model: "gpt-4o" }, "messages"],
    ["chat", "/chat/completions", { ...chatOk, messages: "hi" }, "messages"],
    ["chat", "/chat/completions", { ...chatOk, messages: [] }, "messages"],
    ["chat", "/chat/completions", { ...chatOk, messages: [{ content: "no role" }] }, "messages[0]"],
    ["chat", "/chat/completions", { ...chatOk, messages: [null] }, "messages[0]"],
    ["chat", "/chat/completions", { ...chatOk, stream: "yes" }, "stream"],
    ["chat", "/chat/completions", { ...chatOk, user: 12 }, "user"],
    ["completions", "/v1/completions", { model: "gpt-4o" }, "prompt"],
    ["completions", "/v1/completions", { model: "gpt-4o", prompt: 7 }, "prompt"],
    ["completions", "/v1/completions", { model: "gpt-4o", prompt: "x", stream: 1 }, "stream"],
    ["embeddings", "/embeddings", { model: "embed" }, "input"],
    ["embeddings", "/embeddings", { model: "embed", input: { text: "x" } }, "input"],
    ["embeddings", "/embeddings", { model: "embed", input: "x", user: { id: 1 } }, "user"],
    ["embeddings", "/embeddings", { input: "x" }, "model"],
  ];
  for (const [op, path, body, param] of cases) {
    it(`${op}: ${JSON.stringify(body)} is 400 naming ${param}`, async () => {
      expectRejected(await post(`${h.url}${path}`, body, h.auth), 400, "invalid_request", param);
    });
  }

  it("the Azure-style route validates the body the same way", async () => {
    const r = await post(`${h.url}/openai/deployments/gpt-4o/chat/completions`, { messages: 1 }, h.auth);
    expectRejected(r, 400, "invalid_request", "messages");
  });

  it("an unknown model is 400 invalid_model listing the available names", async () => {
    const r = await post(`${h.url}/chat/completions`, { ...chatOk, model: "gpt-5-nope" }, h.auth);
    expectRejected(r, 400, "invalid_model", "model");
    expect(r.json.error.message).toContain("model=gpt-5-nope");
    expect(r.json.error.message).toContain("gpt-4o");
    expect(r.json.error.message).toContain("embed");
    // refused before any attempt, yet traceable like any proxied request
    expect(r.headers.get("x-litellm-call-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("an unknown model in the Azure path is 400 invalid_model", async () => {
    const r = await post(`${h.url}/openai/deployments/nope/embeddings`, { input: "x" }, h.auth);
    expectRejected(r, 400, "invalid_model", "model");
  });

  it("bad input is rejected only after auth: no key, no validation details", async () => {
    const r = await post(`${h.url}/chat/completions`, "{oops");
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
  });
});

describe("body size limit", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML("  max_request_size_mb: 0.001") });
  });
  afterAll(async () => h.close());

  it("a body over general_settings.max_request_size_mb is 413 body_too_large", async () => {
    const big = { model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(4000) }] };
    const r = await post(`${h.url}/chat/completions`, big, h.auth);
    expectRejected(r, 413, "body_too_large", null);
    expect(h.upstreams.eu.hits).toBe(0);
  });

  it("a body under the limit is served", async () => {
    const r = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
      h.auth,
    );
    expect(r.status).toBe(200);
  });
});
