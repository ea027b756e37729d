import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { isJsonContentType, isLoopback } from "./admin-guard.js";

const MODELS = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-upstream-secret
      region_name: eu
`;
const NO_KEY = { LITELLM_MASTER_KEY: "", MERIDIAN_MASTER_KEY: "" };
const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] };

async function raw(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

describe("isLoopback / isJsonContentType", () => {
  it("knows loopback peers in every spelling node reports", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      expect(isLoopback(a), a).toBe(true);
    for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "1127.0.0.1", "127.0.0.1.evil", "", undefined])
      expect(isLoopback(a), String(a)).toBe(false);
  });
  it("takes application/json with parameters, nothing else", () => {
    for (const t of ["application/json", "Application/JSON; charset=utf-8", " application/json ;x=y"])
      expect(isJsonContentType(t), t).toBe(true);
    for (const t of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "", undefined])
      expect(isJsonContentType(t), String(t)).toBe(false);
    expect(isJsonContentType("application/jsonx")).toBe(false);
  });
});

describe("admin routes take only application/json", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      yaml: `${MODELS}general_settings:\n  master_key: sk-1234\n`,
      upstreams: ["eu"],
    });
  });
  afterAll(async () => h.close());

  // what a cross-site page can send without a CORS preflight, plus no content type at all (a Blob)
  const simple = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""];
  for (const type of simple) {
    it(`a ${type || "type-less"} POST to /end_user/new and /customer/update is 415 and changes nothing`, async () => {
      const headers: Record<string, string> = { ...h.auth };
      if (type) headers["content-type"] = type;
      // fetch sends text/plain for a string body; a Blob without a type sends no content type
      const body = type
        ? JSON.stringify({ user_id: "csrf-victim" })
        : new Blob([JSON.stringify({ user_id: "x" })]);
      const res = await fetch(`${h.url}/end_user/new`, { method: "POST", headers, body });
      const json = await res.json();
      expect(res.status).toBe(415);
      expect(json.error).toMatchObject({ code: "unsupported_media_type", type: "invalid_request_error" });
      const up = await fetch(`${h.url}/customer/update`, { method: "POST", headers, body });
      expect(up.status).toBe(415);
    });
  }

  it("application/json with a charset is served, and nothing above was stored", async () => {
    const r = await raw(
      `${h.url}/end_user/new`,
      JSON.stringify({ user_id: "ok-1", allowed_model_region: "eu" }),
      {
        ...h.auth,
        "content-type": "application/json; charset=utf-8",
      },
    );
    expect(r.status, r.text).toBe(200);
    expect((await get(`${h.url}/end_user/info?end_user_id=csrf-victim`, h.auth)).status).toBe(404);
  });

  it("proxy routes keep reading any content type as JSON (curl -d)", async () => {
    const r = await raw(`${h.url}/chat/completions`, JSON.stringify(chat), {
      ...h.auth,
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(r.status, r.text).toBe(200);
  });
});

describe("admin routes without a master key", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: MODELS, upstreams: ["eu"], env: NO_KEY });
  });
  afterAll(async () => h.close());

  it("answer a loopback caller", async () => {
    expect((await post(`${h.url}/end_user/new`, { user_id: "local" })).status).toBe(200);
    expect((await get(`${h.url}/end_user/list`)).status).toBe(200);
  });

  it("refuse a remote peer with 403, reads and writes alike; proxy, models and health stay open", async () => {
    const app = h.built.app;
    const remote = { remoteAddress: "203.0.113.7" };
    for (const [method, url] of [
      ["POST", "/end_user/update"],
      ["POST", "/customer/delete"],
      ["GET", "/end_user/list"],
      ["GET", "/end_user/info?end_user_id=local"],
    ] as const) {
      const r = await app.inject({
        method,
        url,
        ...remote,
        headers: { "content-type": "application/json" },
        payload: method === "POST" ? { user_id: "local", allowed_model_region: null } : undefined,
      });
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().error).toMatchObject({ code: "admin_remote_forbidden", type: "permission_error" });
    }
    for (const url of ["/v1/models", "/model/info", "/health/liveliness"])
      expect((await app.inject({ method: "GET", url, ...remote })).statusCode, url).toBe(200);
    const info = await get(`${h.url}/end_user/info?end_user_id=local`);
    expect(info.json.user_id).toBe("local");
  });

  it("count a request forwarded by a proxy on the same host as remote", async () => {
    const hops: Array<Record<string, string>> = [
      { "x-forwarded-for": "198.51.100.1" },
      { forwarded: "for=198.51.100.1" },
    ];
    for (const hdr of hops) {
      const r = await post(`${h.url}/end_user/update`, { user_id: "local", allowed_model_region: "us" }, hdr);
      expect(r.status).toBe(403);
    }
    expect((await get(`${h.url}/end_user/info?end_user_id=local`)).json.allowed_model_region).toBe(null);
  });
});

describe("allow_remote_admin_without_key", () => {
  it("lets remote peers reach admin routes with no key", async () => {
    const h = await startHarness({
      yaml: `${MODELS}general_settings:\n  allow_remote_admin_without_key: true\n`,
      upstreams: ["eu"],
      env: NO_KEY,
    });
    try {
      const r = await h.built.app.inject({
        method: "GET",
        url: "/end_user/list",
        remoteAddress: "203.0.113.7",
      });
      expect(r.statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });
});
