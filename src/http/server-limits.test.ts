import { connect, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load.js";
import { FakeUpstream } from "../demo/fake-upstream.js";
import { silentLogger } from "../observability/logger.js";
import { type RunningServer, startServer } from "../server.js";

/** general_settings' client limits on a real listening server: slow clients are cut, the cap holds. */
let up: FakeUpstream;
let server: RunningServer | undefined;

beforeAll(async () => {
  up = await new FakeUpstream({ label: "eu" }).start();
});
afterEach(async () => {
  await server?.shutdown();
  server = undefined;
  up.reset();
});
afterAll(() => up.stop());

async function start(general: string): Promise<number> {
  const yaml = `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "${up.url}/v1", api_key: sk-up, region_name: eu }
general_settings:
  master_key: sk-1234
  database_url: "sqlite::memory:"
  shutdown_drain_seconds: 0
${general}`;
  server = await startServer(parseConfigText(yaml, "limits.yaml", {}), {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger(),
  });
  return server.port;
}

const HEAD = "POST /chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-1234\r\n";
const BODY = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });

interface Dripper {
  socket: Socket;
  /** What the server sent, and after how many ms it closed the connection. */
  closed: Promise<{ data: string; afterMs: number }>;
}

/** A client that sends `text` one byte every 100 ms (at most 100 bytes: 10 s). */
function drip(port: number, text: string): Dripper {
  const socket = connect(port, "127.0.0.1");
  const t0 = Date.now();
  let data = "";
  let i = 0;
  const timer = setInterval(() => {
    if (i < Math.min(text.length, 100) && socket.writable) socket.write(text[i++]);
  }, 100);
  socket.on("data", (c) => {
    data += c;
  });
  socket.on("error", () => {});
  const closed = new Promise<{ data: string; afterMs: number }>((resolve) =>
    socket.once("close", () => {
      clearInterval(timer);
      resolve({ data, afterMs: Date.now() - t0 });
    }),
  );
  return { socket, closed };
}

async function chat(port: number): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer sk-1234", "content-type": "application/json" },
    body: BODY,
  });
  return { status: r.status, text: await r.text() };
}

describe("request timeouts", () => {
  it("20 connections dripping headers or a body are answered 408 and closed within the bound; a slow upstream is not a slow client", async () => {
    const port = await start("  client_request_timeout_seconds: 1\n  client_headers_timeout_seconds: 1\n");
    const drippers = [
      ...Array.from({ length: 10 }, () => drip(port, `${HEAD}x-padding: ${"a".repeat(200)}\r\n\r\n`)),
      ...Array.from({ length: 10 }, () => {
        const d = drip(port, "a".repeat(100));
        // headers at once, then a 1,000-byte body that never arrives in time
        d.socket.write(`${HEAD}content-type: application/json\r\ncontent-length: 1000\r\n\r\n`);
        return d;
      }),
    ];
    // meanwhile normal traffic, including an answer slower than the request timeout, is unaffected
    up.always = { delayMs: 1_500 };
    const slowAnswer = chat(port);
    const results = await Promise.all(drippers.map((d) => d.closed));
    for (const r of results) {
      expect(r.data).toMatch(/^HTTP\/1\.1 408/);
      // 1 s limit, checked every 250 ms; the bound leaves room for a loaded machine, while without
      // a limit the drip would run its full 10 s
      expect(r.afterMs).toBeLessThan(5_000);
    }
    expect((await slowAnswer).status).toBe(200);
    up.always = {};
    expect((await chat(port)).status).toBe(200);
  }, 30_000);
});

describe("max_client_connections", () => {
  it("refuses the connection beyond the cap, and takes one again once a place is free", async () => {
    const port = await start("  max_client_connections: 5\n");
    const held: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const s = connect(port, "127.0.0.1");
      s.on("error", () => {});
      held.push(s);
    }
    for (let i = 0; i < 200 && server!.built.drain.connections < 5; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(server!.built.drain.connections).toBe(5);

    const extra = drip(port, `${HEAD}content-length: ${BODY.length}\r\n\r\n${BODY}`);
    const refused = await extra.closed;
    expect(refused.data).toBe("");
    expect(server!.built.drain.connections).toBe(5);

    held.pop()?.destroy();
    for (let i = 0; i < 200 && server!.built.drain.connections > 4; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await chat(port)).status).toBe(200);
    for (const s of held) s.destroy();
  }, 20_000);
});
