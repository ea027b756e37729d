import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../test/harness.js";
import { injectInto } from "../../test/inject.js";

/**
 * The proxy routes are answered by one adapter (proxy-adapter.ts) ahead of Fastify. Tests drive it
 * over real sockets and through light-my-request on the same handler; both must answer alike: same
 * status, same envelope, same headers. Each case is sent both ways and compared (call ids and timings
 * aside).
 */
const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-up-eu, region_name: eu }
  - model_name: gpt-4o
    litellm_params: { model: azure/gpt-4o-us, api_base: "{{us}}", api_key: sk-up-us, region_name: us }
general_settings:
  master_key: sk-1234
  max_request_size_mb: 0.001
`;

interface Case {
  name: string;
  path: string;
  headers?: Record<string, string>;
  body: string;
}

const key = { authorization: "Bearer sk-1234", "content-type": "application/json" };
const chat = (extra: object = {}) =>
  JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], ...extra });

const CASES: Case[] = [
  {
    name: "a chat as a pinned customer",
    path: "/chat/completions",
    headers: key,
    body: chat({ user: "cust-eu" }),
  },
  // pinned, so both ways are served by the same deployment (the other one would be a coin toss)
  {
    name: "/v1 and a query string",
    path: "/v1/chat/completions?x=1",
    headers: key,
    body: chat({ user: "cust-eu" }),
  },
  {
    name: "Azure path, api-version",
    path: "/openai/deployments/gpt-4o/chat/completions?api-version=2024-02-01",
    headers: { "api-key": "sk-1234", "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], user: "cust-eu" }),
  },
  {
    name: "no key",
    path: "/chat/completions",
    headers: { "content-type": "application/json" },
    body: chat(),
  },
  {
    name: "a wrong key",
    path: "/chat/completions",
    headers: { authorization: "Bearer sk-nope" },
    body: chat(),
  },
  { name: "broken JSON", path: "/chat/completions", headers: key, body: '{"model": "gpt-4o",' },
  {
    name: "documentation JSON with a # comment",
    path: "/chat/completions",
    headers: key,
    body: '{"model": "gpt-4o", # 👈 the model\n "messages": [{"role": "user", "content": "hi"}], "user": "cust-eu",}',
  },
  { name: "an empty body", path: "/embeddings", headers: key, body: "" },
  {
    name: "an unknown model",
    path: "/completions",
    headers: key,
    body: JSON.stringify({ model: "x", prompt: "p" }),
  },
  {
    name: "a blocked customer",
    path: "/chat/completions",
    headers: key,
    body: chat({ user: "cust-blocked" }),
  },
  {
    name: "a region with no deployment",
    path: "/chat/completions",
    headers: key,
    body: chat({ user: "cust-jp" }),
  },
  {
    name: "a body over the limit",
    path: "/chat/completions",
    headers: key,
    body: chat({ pad: "x".repeat(2000) }),
  },
];

/** What must match: status, body without ids/timings, header names and the values that are not per call. */
function comparable(status: number, headers: Record<string, unknown>, text: string) {
  const PER_CALL = new Set([
    "x-litellm-call-id",
    "x-litellm-response-duration-ms",
    "x-litellm-overhead-duration-ms",
  ]);
  const TRANSPORT = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);
  const h: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (TRANSPORT.has(k)) continue;
    h[k] = PER_CALL.has(k) ? "(per call)" : String(v);
  }
  const body = text.replace(/chatcmpl-[\w-]+/g, "chatcmpl-(id)").replace(/"created":\d+/g, '"created":0');
  return { status, headers: h, body };
}

describe("fast path and Fastify routes answer alike", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    for (const [user_id, region] of [
      ["cust-eu", "eu"],
      ["cust-blocked", "eu"],
      ["cust-jp", "jp"],
    ]) {
      const r = await fetch(`${h.url}/end_user/new`, {
        method: "POST",
        headers: { ...h.auth, "content-type": "application/json" },
        body: JSON.stringify({ user_id, allowed_model_region: region }),
      });
      expect(r.status).toBe(200);
    }
    await fetch(`${h.url}/end_user/block`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: JSON.stringify({ user_ids: ["cust-blocked"] }),
    });
  });
  afterAll(() => h.close());

  for (const c of CASES) {
    it(c.name, async () => {
      const viaSocket = await request(`${h.url}${c.path}`, {
        method: "POST",
        headers: c.headers,
        body: c.body,
      });
      const socketText = await viaSocket.body.text();
      const viaInject = await injectInto(h.built, {
        method: "POST",
        url: c.path,
        headers: c.headers,
        payload: c.body,
      });
      const a = comparable(viaSocket.statusCode, viaSocket.headers, socketText);
      const b = comparable(viaInject.statusCode, viaInject.headers, viaInject.body);
      expect(a).toEqual(b);
      // every answer is traceable and says what it is
      expect(a.headers["content-type"]).toMatch(/^application\/json/);
    });
  }
});
