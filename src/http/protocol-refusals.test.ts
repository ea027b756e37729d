import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";

interface RawAnswer {
  status: number;
  /** Lower-cased header lines. */
  head: string;
  body: string;
  /** Every byte received, interim answers (100 Continue) included. */
  text: string;
}

/**
 * Write `parts` one after another on a raw socket (each after `waitFor` appears in what came back,
 * when given), then read until the server closes (bounded). The final answer (after any 1xx) is
 * the one returned.
 */
function rawExchange(url: string, parts: Array<{ bytes: string; waitFor?: string }>): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname);
    let text = "";
    const pending = [...parts];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(text.slice(0, 300))}`));
    }, 5_000);
    const next = () => {
      while (pending.length > 0 && (!pending[0].waitFor || text.includes(pending[0].waitFor)))
        s.write((pending.shift() as { bytes: string }).bytes);
    };
    s.on("data", (c: Buffer) => {
      text += c.toString("latin1");
      next();
    });
    s.on("error", () => {}); // a reset after the answer is fine; the answer is what we check
    s.on("close", () => {
      clearTimeout(timer);
      const final = text.replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n\r\n)+/, "");
      const split = final.indexOf("\r\n\r\n");
      const head = final.slice(0, split).toLowerCase();
      resolve({ status: Number(head.split(" ")[1]), head, body: final.slice(split + 4), text });
    });
    next();
  });
}

const CHAT = JSON.stringify({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] });
const request = (version: string, headers: string, body = CHAT) =>
  `POST /chat/completions HTTP/${version}\r\nAuthorization: Bearer sk-1234\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n`;

describe("requests node would refuse with an empty body", () => {
  let h: Harness;
  const hits = () => h.upstreams.eu.hits + h.upstreams.us.hits;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  /** The answer is an envelope with `code`, the connection closed, and one spend-log record under its call id. */
  async function expectRefusal(r: RawAnswer, status: number, code: string) {
    expect(r.status, r.text).toBe(status);
    expect(r.head).toContain("connection: close");
    expect(r.head).toContain("content-type: application/json");
    expect(JSON.parse(r.body).error).toMatchObject({ code, type: "invalid_request_error", param: null });
    const callId = /\r\nx-litellm-call-id: ([0-9a-f-]{36})(\r\n|$)/.exec(r.head)?.[1];
    expect(callId, r.head).toBeDefined();
    await h.built.spendLog?.flush();
    const logs = await get(`${h.url}/spend/logs?request_id=${callId}`, h.auth);
    expect(logs.status).toBe(200);
    expect(
      logs.json.map((l: Record<string, unknown>) => [l.request_id, l.call_type, l.http_status, l.error_code]),
    ).toEqual([[callId, "unknown", status, code]]);
    expect(hits()).toBe(0);
  }

  it("an Expect other than 100-continue: 417 expectation_failed, connection closed, one record", async () => {
    const r = await rawExchange(h.url, [{ bytes: request("1.1", "Host: x\r\nExpect: 200-ok\r\n") + CHAT }]);
    await expectRefusal(r, 417, "expectation_failed");
    expect(JSON.parse(r.body).error.message).toContain("100-continue");
  });

  it("Expect: 100-continue is still answered 100, then served", async () => {
    const r = await rawExchange(h.url, [
      { bytes: request("1.1", "Host: x\r\nExpect: 100-continue\r\nConnection: close\r\n") },
      { bytes: CHAT, waitFor: "HTTP/1.1 100 Continue\r\n\r\n" },
    ]);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.body).object).toBe("chat.completion");
  });

  it("HTTP/1.1 without Host: 400 invalid_request naming the Host header, connection closed, one record", async () => {
    const r = await rawExchange(h.url, [{ bytes: request("1.1", "") + CHAT }]);
    await expectRefusal(r, 400, "invalid_request");
    expect(JSON.parse(r.body).error.message).toBe(
      "Malformed HTTP request (HTTP/1.1 requires a Host header).",
    );
  });

  it("HTTP/1.1 without Host on a Fastify route (GET /spend/logs) is refused the same way", async () => {
    const r = await rawExchange(h.url, [
      { bytes: "GET /spend/logs HTTP/1.1\r\nAuthorization: Bearer sk-1234\r\n\r\n" },
    ]);
    await expectRefusal(r, 400, "invalid_request");
  });

  it("HTTP/1.0 without Host is served, as before", async () => {
    const r = await rawExchange(h.url, [{ bytes: request("1.0", "") + CHAT }]);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.body).object).toBe("chat.completion");
    expect(hits()).toBe(1);
  });
});
