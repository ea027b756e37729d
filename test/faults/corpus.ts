import { marker } from "./ledger.js";

/**
 * The bad-input corpus: what the tester sent. Raw cases go over node:net (an HTTP client would
 * refuse to send them); the others are ordinary HTTP requests with hostile content. Every answer
 * must be a 4xx OpenAI envelope with a code — or, where the issue allows it, a normal answer that
 * was served in the customer's region (the upstream ledger checks the region).
 */
export interface BadInput {
  name: string;
  /** "4xx": must be rejected; "4xx-or-served": rejected, or served (in region, checked at the upstream). */
  expect: "4xx" | "4xx-or-served";
  raw?: { chunks: Array<string | Buffer>; gapMs?: number; timeoutMs?: number };
  http?: { method?: string; path: string; headers?: Record<string, string>; body?: string };
}

const AUTH = "Authorization: Bearer sk-1234\r\n";

/** Pinned to eu by the suite; a forged cross-site update would move it (nothing else uses it). */
export const CSRF_VICTIM = "csrf-victim-eu";

/** A customer whose id is not ASCII, pinned to eu (created by the suite). */
export const NON_ASCII_CUSTOMER = "müller-eu";

/** A chat body whose identity is `user` (the body field) and whose prompt carries `customer`'s marker. */
const chatBody = (tag: string, customer: string, extra = "", user: string | null = customer) =>
  `{"model":"chat",${user === null ? "" : `"user":${JSON.stringify(user)},`}"messages":[{"role":"user","content":"${marker(customer, tag)}"}]${extra}}`;

function post(path: string, body: string | Buffer, headers = ""): Buffer {
  const b = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${b.length}\r\n${headers}Connection: close\r\n\r\n`,
      "latin1",
    ),
    b,
  ]);
}

const get = (target: string, extraHead = "", version = "HTTP/1.1") =>
  `GET ${target} ${version}\r\nHost: 127.0.0.1\r\n${AUTH}${extraHead}Connection: close\r\n\r\n`;

const DEPTH = 200_000;

function repeat(n: number, cases: BadInput[]): BadInput[] {
  return Array.from({ length: n }, (_, i) =>
    cases.map((c) => ({ ...c, name: `${c.name} #${i + 1}` })),
  ).flat();
}

export function badInputs(): BadInput[] {
  const deep = `${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`;
  const deepObject = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
  const slow = chatBody("slow-drip", "cust-eu-1");
  return [
    // identity in headers
    {
      name: "x-litellm-customer-id twice, two regions",
      expect: "4xx",
      raw: {
        chunks: [
          post(
            "/chat/completions",
            chatBody("header-twice-two", "cust-us-1", "", null),
            "x-litellm-customer-id: cust-eu-1\r\nx-litellm-customer-id: cust-us-1\r\n",
          ),
        ],
      },
    },
    // served-or-400 cases go five times: an unrecognised id served anywhere lands outside eu 3 times in 5
    ...repeat(5, [
      {
        name: "x-litellm-customer-id twice, same customer",
        expect: "4xx-or-served",
        raw: {
          chunks: [
            post(
              "/chat/completions",
              chatBody("header-twice-same", "cust-eu-1", "", null),
              "x-litellm-customer-id: cust-eu-1\r\nx-litellm-customer-id: cust-eu-1\r\n",
            ),
          ],
        },
      },
      {
        name: "non-ASCII customer id in a header (UTF-8 bytes)",
        expect: "4xx-or-served",
        raw: {
          chunks: [
            Buffer.concat([
              post(
                "/chat/completions",
                chatBody("non-ascii-header", NON_ASCII_CUSTOMER, "", null),
                // node reads header bytes as latin1: write the UTF-8 bytes of the id as they go on the wire
                `x-litellm-customer-id: ${Buffer.from(NON_ASCII_CUSTOMER, "utf8").toString("latin1")}\r\n`,
              ),
            ]),
          ],
        },
      },
    ]),
    // bodies
    {
      name: `body nested ${DEPTH.toLocaleString("en")} levels deep (~400 KB)`,
      expect: "4xx",
      http: {
        path: "/chat/completions",
        body: chatBody("deep-body", "cust-eu-1", `,"metadata":{"x":${deep}}`),
      },
    },
    {
      name: "message content nested 200,000 levels deep",
      expect: "4xx",
      http: {
        path: "/chat/completions",
        body: `{"model":"chat","user":"cust-eu-1","messages":[{"role":"user","content":${deep}}]}`,
      },
    },
    {
      name: "messages nested 200,000 levels deep",
      expect: "4xx",
      http: { path: "/chat/completions", body: `{"model":"chat","messages":${deep}}` },
    },
    {
      name: "/end_user/new with deeply nested metadata",
      expect: "4xx",
      http: { path: "/end_user/new", body: `{"user_id":"nested-md","metadata":${deepObject}}` },
    },
    {
      name: "/end_user/new with NUL in user_id (Postgres)",
      expect: "4xx",
      http: { path: "/end_user/new", body: '{"user_id":"nul\\u0000id","allowed_model_region":"eu"}' },
    },
    {
      name: "chat with NUL in user (Postgres lookup)",
      expect: "4xx",
      http: { path: "/chat/completions", body: chatBody("nul-user", "nul-user", "", "nul\u0000user") },
    },
    {
      name: "cross-site text/plain POST to /end_user/new",
      expect: "4xx",
      http: {
        path: "/end_user/new",
        headers: { "content-type": "text/plain" },
        body: '{"user_id":"csrf-victim","allowed_model_region":"us"}',
      },
    },
    {
      name: "cross-site text/plain POST to /end_user/update",
      expect: "4xx",
      http: {
        path: "/end_user/update",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ user_id: CSRF_VICTIM, allowed_model_region: "us" }),
      },
    },
    // the HTTP parser
    {
      name: "bare CR in a header value",
      expect: "4xx",
      raw: { chunks: [get("/v1/models", "X-Bad: a\rb\r\n")] },
    },
    {
      name: "bare LF in a header value",
      expect: "4xx",
      raw: { chunks: [get("/v1/models", "X-Bad: a\nb\r\n")] },
    },
    { name: "NUL in a header value", expect: "4xx", raw: { chunks: [get("/v1/models", "X-Bad: a\0b\r\n")] } },
    {
      name: "20 KB header",
      expect: "4xx",
      raw: { chunks: [get("/v1/models", `X-Big: ${"a".repeat(20_000)}\r\n`)] },
    },
    {
      name: "Content-Length and Transfer-Encoding together",
      expect: "4xx",
      raw: {
        chunks: [
          `POST /chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
        ],
      },
    },
    {
      name: "two different Content-Length headers",
      expect: "4xx",
      raw: {
        chunks: [
          `POST /chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`,
        ],
      },
    },
    { name: "request line that is not HTTP", expect: "4xx", raw: { chunks: ["GARBAGE\r\n\r\n"] } },
    { name: "unknown HTTP version", expect: "4xx", raw: { chunks: [get("/v1/models", "", "HTTP/9.9")] } },
    { name: "space inside the request target", expect: "4xx", raw: { chunks: [get("/v1/mo dels")] } },
    {
      name: "bad percent-encoding in the path",
      expect: "4xx",
      raw: { chunks: [get("/v1/models/%E0%A4%A")] },
    },
    {
      name: "header name with a space before the colon",
      expect: "4xx",
      raw: { chunks: [get("/v1/models", "X-Bad : 1\r\n")] },
    },
    {
      name: "invalid chunk size",
      expect: "4xx",
      raw: {
        chunks: [
          `POST /chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        ],
      },
    },
    // a body dripped a byte at a time must be timed out, not held forever
    {
      name: "slow-drip body (a byte every 250 ms)",
      expect: "4xx",
      raw: {
        chunks: [
          `POST /chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(slow)}\r\nConnection: close\r\n\r\n`,
          ...slow.split(""),
        ],
        gapMs: 250,
        // the bound the suite allows for the gateway to give up on the body (world.ts sets 5 s)
        timeoutMs: 20_000,
      },
    },
  ];
}
