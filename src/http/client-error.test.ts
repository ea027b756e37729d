import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../test/harness.js";
import { classifyClientError } from "./client-error.js";

/** Send raw bytes, read until the server closes (bounded): status, headers, parsed body. */
function rawExchange(url: string, bytes: string | Buffer) {
  const { hostname, port } = new URL(url);
  return new Promise<{
    status: number;
    head: string;
    json: { error: Record<string, unknown> };
    text: string;
  }>((resolve, reject) => {
    const s = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error("no close within 5 s"));
    }, 5_000);
    s.on("data", (c) => chunks.push(c));
    s.on("error", () => {}); // a reset after the answer is fine; the answer is what we check
    s.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      const head = text.slice(0, split);
      const body = text.slice(split + 4);
      try {
        resolve({ status: Number(head.split(" ")[1]), head, json: JSON.parse(body), text });
      } catch {
        reject(new Error(`not a JSON answer: ${JSON.stringify(text.slice(0, 300))}`));
      }
    });
    s.write(bytes);
  });
}

const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-upstream-secret, region_name: eu }
general_settings:
  master_key: sk-1234
`;
const AUTH = "Authorization: Bearer sk-1234\r\n";

describe("malformed HTTP gets an OpenAI envelope", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu"] });
  });
  afterAll(async () => {
    expect(h.upstreams.eu.hits).toBe(0);
    await h.close();
  });

  const chat = '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}';
  const post = (extra: string, body = chat) =>
    `POST /chat/completions HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: application/json\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;

  const cases: Array<[string, string | Buffer, number, string]> = [
    ["a bare CR in a header value", post("X-Note: a\rb\r\n"), 400, "invalid_header"],
    ["a bare LF in a header value", post("X-Note: a\nb\r\n"), 400, "invalid_header"],
    ["a NUL in a header value", post("X-Note: a\u0000b\r\n"), 400, "invalid_header"],
    ["a NUL in a header name", post("X-No\u0000te: a\r\n"), 400, "invalid_header"],
    ["20 KB of headers", post(`X-Big: ${"a".repeat(20_000)}\r\n`), 431, "header_too_large"],
    [
      "Content-Length with Transfer-Encoding",
      `POST /chat/completions HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      "invalid_header",
    ],
    [
      "two different Content-Lengths",
      `POST /chat/completions HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
      400,
      "invalid_header",
    ],
    ["a request line that is not HTTP", "HELLO THERE\r\n\r\n", 400, "invalid_request"],
    ["an unknown HTTP version", "GET /health/liveliness HTTP/7.1\r\nHost: x\r\n\r\n", 400, "invalid_request"],
    ["a space in the request target", "GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request"],
  ];
  const answered: Array<[string, number, string]> = [];
  for (const [name, bytes, status, code] of cases) {
    it(`${name}: ${status} ${code}`, async () => {
      const r = await rawExchange(h.url, bytes);
      expect(r.status, r.text).toBe(status);
      const callId = /\r\nx-litellm-call-id: ([0-9a-f-]{36})\r\n/i.exec(`${r.head}\r\n`)?.[1];
      expect(callId, r.head).toBeDefined();
      answered.push([callId as string, status, code]);
      expect(r.head.toLowerCase()).toContain("connection: close");
      expect(r.head.toLowerCase()).toContain("content-type: application/json");
      expect(r.json.error).toMatchObject({ code, type: "invalid_request_error", param: null });
      expect(typeof r.json.error.message).toBe("string");
      expect(r.text).not.toMatch(/Bad Request"|statusCode|\n\s+at /);
    });
  }

  it("each refusal above left a spend-log record under its call id", async () => {
    expect(answered).toHaveLength(cases.length);
    await h.built.spendLog?.flush();
    const got = [];
    for (const [callId] of answered) {
      const { rows } = await h.store.spend.find({ requestId: callId }, 10, 0);
      got.push(rows.map((r) => [r.request_id, r.http_status, r.error_code, r.call_type, r.status]));
    }
    expect(got).toEqual(answered.map(([id, status, code]) => [[id, status, code, "unknown", "failure"]]));
  });

  const badUrls: Array<[string, string]> = [
    ["a GET route", "GET /v1/models/%E0%A4%A HTTP/1.1"],
    ["an Azure-style proxy path", "POST /openai/deployments/%E0%A4%A/chat/completions HTTP/1.1"],
    ["an admin route", "GET /end_user/info/%zz HTTP/1.1"],
  ];
  for (const [name, line] of badUrls) {
    it(`bad percent-encoding on ${name}: 400 invalid_url`, async () => {
      const r = await rawExchange(
        h.url,
        `${line}\r\nHost: x\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${chat.length}\r\nConnection: close\r\n\r\n${chat}`,
      );
      expect(r.status, r.text).toBe(400);
      expect(r.json.error).toMatchObject({ code: "invalid_url", type: "invalid_request_error" });
    });
  }
});

describe("classifyClientError", () => {
  it("maps a request timeout to 408 and a reset to silence", () => {
    expect(classifyClientError("ERR_HTTP_REQUEST_TIMEOUT")?.status).toBe(408);
    expect(classifyClientError("ERR_HTTP_REQUEST_TIMEOUT")?.code).toBe("request_timeout");
    expect(classifyClientError("ECONNRESET")).toBeUndefined();
  });
  it("never echoes a reason that is not a plain phrase", () => {
    expect(classifyClientError("HPE_INVALID_HEADER_TOKEN", "Invalid header value char")?.message).toContain(
      "Invalid header value char",
    );
    expect(classifyClientError("HPE_INVALID_HEADER_TOKEN", 'x"\r\n<script>')?.message).not.toContain(
      "script",
    );
  });
});
