import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { corsDecision, isClientPath } from "./cors.js";

const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream-secret
      region_name: eu
general_settings:
  master_key: sk-1234
`;

async function preflight(url: string, origin: string, method = "POST") {
  const res = await fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type, x-stainless-os",
    },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("cors: which routes are the OpenAI surface", () => {
  it("classifies proxy and model-list paths as client routes, the rest as admin", () => {
    for (const p of [
      "/chat/completions",
      "/v1/chat/completions",
      "/v1/embeddings",
      "/completions",
      "/models",
      "/v1/models/gpt-4o",
      "/openai/deployments/x/chat/completions",
      "/engines/x/embeddings",
    ])
      expect(isClientPath(p), p).toBe(true);
    for (const p of ["/customer/new", "/end_user/block", "/model/info", "/health", "/routes", "/metrics"])
      expect(isClientPath(p), p).toBe(false);
  });

  it("mirrors a listed origin with credentials and Vary, refuses an unlisted one", () => {
    const policy = { client: ["https://app.example"], admin: [] };
    const ok = corsDecision(policy, "/chat/completions", "https://app.example", undefined);
    expect(ok).toEqual({
      kind: "allow",
      headers: expect.objectContaining({
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-credentials": "true",
        vary: "Origin",
      }),
    });
    expect(corsDecision(policy, "/chat/completions", "https://evil.example", undefined)).toEqual({
      kind: "deny",
    });
    expect(corsDecision(policy, "/customer/new", "https://app.example", undefined)).toEqual({ kind: "deny" });
    expect(corsDecision(policy, "/customer/new", undefined, undefined)).toEqual({ kind: "none" });
  });
});

describe("cors: default policy over real HTTP", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu"] });
  });
  afterAll(async () => h.close());

  it("answers a proxy-route preflight from any origin with 204 and LiteLLM's wildcard", async () => {
    const r = await preflight(`${h.url}/v1/chat/completions`, "https://some-app.example");
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-methods")).toContain("POST");
    expect(r.headers.get("access-control-allow-headers")).toBe("authorization, content-type, x-stainless-os");
    expect(r.headers.get("access-control-allow-credentials")).toBeNull();
    expect(r.headers.get("access-control-max-age")).toBe("600");
    expect(h.upstreams.eu.hits).toBe(0);
  });

  it("puts allow and expose headers on a proxied answer (fast path) and on Fastify's routes", async () => {
    const origin = { origin: "https://some-app.example", ...h.auth };
    const chat = await post(
      `${h.url}/v1/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
      origin,
    );
    expect(chat.status, chat.text).toBe(200);
    expect(chat.headers.get("access-control-allow-origin")).toBe("*");
    expect(chat.headers.get("access-control-expose-headers")).toContain("x-litellm-model-region");
    expect(chat.headers.get("x-litellm-model-region")).toBe("eu");

    const models = await get(`${h.url}/v1/models`, origin);
    expect(models.status).toBe(200);
    expect(models.headers.get("access-control-allow-origin")).toBe("*");

    // A refusal is readable by the page too, so the app can show the envelope.
    const refused = await post(
      `${h.url}/v1/chat/completions`,
      { model: "gpt-4o" },
      { origin: "https://x.example" },
    );
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe("invalid_api_key");
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("refuses an admin-route preflight by default, with an error envelope", async () => {
    const r = await preflight(`${h.url}/customer/new`, "https://some-app.example");
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text)).toEqual({
      error: {
        message: expect.stringContaining("admin_cors_allow_origins"),
        type: "permission_error",
        param: null,
        code: "cors_origin_not_allowed",
      },
    });
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    // A plain cross-origin GET is served (it carries the key) but without allow headers.
    const info = await get(`${h.url}/model/info`, { origin: "https://some-app.example", ...h.auth });
    expect(info.status).toBe(200);
    expect(info.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a non-CORS OPTIONS with 204 and Allow", async () => {
    const res = await fetch(`${h.url}/customer/new`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toContain("POST");
  });
});

describe("cors: configured origins", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      yaml: `${YAML}  cors_allow_origins: ["https://app.example"]\n  admin_cors_allow_origins: ["https://admin.example"]\n`,
      upstreams: ["eu"],
    });
  });
  afterAll(async () => h.close());

  it("serves admin routes cross-origin only to the listed admin origin", async () => {
    const ok = await preflight(`${h.url}/customer/new`, "https://admin.example");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.get("vary")).toBe("Origin");
    const app = await preflight(`${h.url}/customer/new`, "https://app.example");
    expect(app.status).toBe(403);
  });

  it("restricts proxy routes to cors_allow_origins", async () => {
    const ok = await preflight(`${h.url}/chat/completions`, "https://app.example");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await preflight(`${h.url}/chat/completions`, "https://other.example");
    expect(other.status).toBe(403);
    expect(JSON.parse(other.text).error.message).toContain("cors_allow_origins");
  });
});
