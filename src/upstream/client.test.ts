import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cancel } from "./cancel.js";
import { CONNECTIONS_PER_ORIGIN, sendBuffered, UpstreamPools } from "./client.js";

/**
 * An upstream that answers nobody until `expected` calls are open at once: it proves they were all
 * in flight together, not queued inside the gateway behind a connection cap.
 */
let held: ServerResponse[] = [];
let expected = 0;
let peak = 0;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.on("end", () => {
    held.push(res);
    peak = Math.max(peak, held.length);
    if (held.length < expected) return;
    for (const r of held) {
      r.writeHead(200, { "content-type": "application/json" });
      r.end('{"object":"chat.completion","choices":[]}');
    }
    held = [];
  });
});
let origin: string;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = (pools: UpstreamPools) =>
  sendBuffered(
    pools.get(origin),
    {
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      body: "{}",
      signal: new Cancel(),
      headersTimeoutMs: 30_000,
      bodyTimeoutMs: 30_000,
    },
    65_536,
  );

describe("UpstreamPools", () => {
  it("keeps 300 slow calls to one origin in flight together (no cap below LiteLLM's 1,000)", async () => {
    expect(CONNECTIONS_PER_ORIGIN).toBeGreaterThanOrEqual(1_000);
    const pools = new UpstreamPools();
    expected = 300;
    peak = 0;
    const replies = await Promise.all(Array.from({ length: expected }, () => call(pools)));
    expect(replies.every((r) => r.statusCode === 200)).toBe(true);
    expect(peak).toBe(expected);
    await pools.close();
  }, 20_000);

  it("queues calls beyond its limit instead of failing them", async () => {
    const pools = new UpstreamPools(4);
    expected = 4;
    peak = 0;
    const replies = await Promise.all(Array.from({ length: 12 }, () => call(pools)));
    expect(replies.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
    expect(peak).toBe(4);
    await pools.close();
  });
});
