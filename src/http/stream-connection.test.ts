import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Harness, startHarness } from "../../test/harness.js";

/**
 * A streamed answer honours the request's Connection (RFC 9112 §9.6): `close` (or HTTP/1.0 without
 * keep-alive) is answered `connection: close` and the socket is closed after the last chunk; a
 * keep-alive client keeps its connection for the next request. Fresh and cached streams alike.
 */
const YAML = `
model_list:
  - model_name: chat
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-eu-upstream, region_name: eu }
litellm_settings:
  cache: true
  cache_params: { type: local, ttl: 600 }
general_settings:
  master_key: sk-1234
`;

interface Conn {
  socket: Socket;
  /** Everything received so far, as latin1. */
  text(): string;
  ended(): boolean;
}

function open(url: string): Conn {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = "";
  let ended = false;
  socket.on("data", (c: Buffer) => {
    text += c.toString("latin1");
  });
  socket.on("end", () => {
    ended = true;
  });
  socket.on("error", () => {}); // what arrived is what is checked
  return { socket, text: () => text, ended: () => ended };
}

function streamRequest(content: string, connection: string | undefined, version = "1.1"): string {
  const body = JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content }] });
  return (
    `POST /chat/completions HTTP/${version}\r\nHost: x\r\nAuthorization: Bearer sk-1234\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    (connection ? `Connection: ${connection}\r\n` : "") +
    `\r\n${body}`
  );
}

/** The header block of the `n`th answer on the connection (0-based), lower-cased. */
function head(text: string, n = 0): string {
  const starts = [...text.matchAll(/HTTP\/1\.1 \d{3} /g)].map((m) => m.index ?? 0);
  const from = starts[n] ?? -1;
  return text.slice(from, text.indexOf("\r\n\r\n", from)).toLowerCase();
}

describe("streamed answers and the client's Connection header", () => {
  let h: Harness;
  let n = 0;
  const fresh = () => `q${++n}-${Math.random()}`;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu"] });
  });
  afterAll(async () => h.close());

  for (const cached of [false, true]) {
    it(`connection: close gets connection: close and EOF after the last chunk (${cached ? "cache hit" : "fresh stream"})`, async () => {
      const q = fresh();
      if (cached) {
        const first = open(h.url);
        first.socket.write(streamRequest(q, "close"));
        await vi.waitFor(() => expect(first.text()).toContain("\r\n0\r\n\r\n"), { timeout: 5_000 });
        first.socket.destroy();
      }
      const c = open(h.url);
      c.socket.write(streamRequest(q, "close"));
      await vi.waitFor(() => expect(c.text()).toContain("\r\n0\r\n\r\n"), { timeout: 5_000 });
      const h0 = head(c.text());
      expect(h0).toMatch(/^http\/1\.1 200 /);
      expect(h0).toContain(`x-meridian-cache: ${cached ? "hit" : "miss"}`);
      expect(h0).toContain("content-type: text/event-stream");
      expect(h0).toContain("connection: close");
      expect(h0).not.toContain("keep-alive");
      expect(c.text()).toContain("data: [DONE]");
      await vi.waitFor(() => expect(c.ended(), "the server closed the socket").toBe(true), {
        timeout: 2_000,
      });
      expect(c.text().endsWith("\r\n0\r\n\r\n")).toBe(true);
      c.socket.destroy();
    });
  }

  it("HTTP/1.0 without keep-alive: the stream ends with the connection", async () => {
    const c = open(h.url);
    c.socket.write(streamRequest(fresh(), undefined, "1.0"));
    await vi.waitFor(() => expect(c.ended()).toBe(true), { timeout: 5_000 });
    expect(head(c.text())).toContain("connection: close");
    expect(c.text()).toContain("data: [DONE]");
    c.socket.destroy();
  });

  it("a keep-alive client keeps its connection after a stream and is served again on it", async () => {
    const q = fresh();
    const c = open(h.url);
    c.socket.write(streamRequest(q, undefined));
    await vi.waitFor(() => expect(c.text()).toContain("\r\n0\r\n\r\n"), { timeout: 5_000 });
    expect(head(c.text())).toContain("connection: keep-alive");
    // the same request again, on the same socket: a cache hit this time
    c.socket.write(streamRequest(q, "keep-alive"));
    await vi.waitFor(() => expect(head(c.text(), 1)).toContain("x-meridian-cache: hit"), { timeout: 5_000 });
    await vi.waitFor(() => expect(c.text().match(/\r\n0\r\n\r\n/g)).toHaveLength(2), { timeout: 5_000 });
    expect(head(c.text(), 1)).toContain("connection: keep-alive");
    await new Promise((r) => setTimeout(r, 200));
    expect(c.ended()).toBe(false);
    c.socket.destroy();
  });
});
