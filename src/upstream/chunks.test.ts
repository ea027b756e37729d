import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../test/harness.js";
import { ChunkQueue } from "./chunks.js";

function queue(highWater = 10) {
  const log: string[] = [];
  const q = new ChunkQueue(
    {
      pause: () => log.push("pause"),
      resume: () => log.push("resume"),
      destroy: (e) => log.push(`destroy: ${e.message}`),
    },
    highWater,
  );
  return { q, log };
}

describe("ChunkQueue", () => {
  it("hands chunks to a waiting reader, queues the rest in order, and ends", async () => {
    const { q } = queue();
    const waiting = q.next();
    q.push(Buffer.from("a"));
    expect((await waiting).value?.toString()).toBe("a");
    q.push(Buffer.from("b"));
    q.push(Buffer.from("c"));
    q.finish();
    const got: string[] = [];
    for await (const c of q) got.push(c.toString());
    expect(got).toEqual(["b", "c"]);
  });

  it("pauses the connection past the high-water mark and resumes below half of it", async () => {
    const { q, log } = queue(10);
    q.push(Buffer.alloc(6));
    expect(log).toEqual([]);
    q.push(Buffer.alloc(6)); // 12 queued
    expect(log).toEqual(["pause"]);
    q.push(Buffer.alloc(6)); // still paused: no second pause
    await q.next(); // 12 left
    expect(log).toEqual(["pause"]);
    await q.next(); // 6 left, still >= 5
    expect(log).toEqual(["pause"]);
    await q.next(); // 0 left
    expect(log).toEqual(["pause", "resume"]);
  });

  it("delivers what was queued before an error, then throws it once", async () => {
    const { q } = queue();
    q.push(Buffer.from("x"));
    q.finish(new Error("cut"));
    expect((await q.next()).value?.toString()).toBe("x");
    await expect(q.next()).rejects.toThrow("cut");
    expect((await q.next()).done).toBe(true);
  });

  it("a reader that stops early aborts the connection and drops the queue", async () => {
    const { q, log } = queue();
    q.push(Buffer.from("x"));
    await q.return();
    expect(log).toEqual(["destroy: stream body no longer read"]);
    expect((await q.next()).done).toBe(true);
    q.push(Buffer.from("late"));
    expect((await q.next()).done).toBe(true);
  });
});

/** A sink that takes `room` writes, then reports full until drain() is called. */
function sink(room = Number.POSITIVE_INFINITY) {
  const written: string[] = [];
  let onDrain: (() => void) | undefined;
  return {
    written,
    write(chunk: Buffer) {
      written.push(chunk.toString());
      return written.length < room;
    },
    once(_event: "drain", fn: () => void) {
      onDrain = fn;
    },
    drain() {
      room = Number.POSITIVE_INFINITY;
      const fn = onDrain;
      onDrain = undefined;
      fn?.();
    },
  };
}

describe("ChunkQueue.pipeTo", () => {
  it("writes what was queued first, then each chunk as it arrives, and resolves at the end", async () => {
    const { q, log } = queue(2);
    q.push(Buffer.from("ab"));
    q.push(Buffer.from("c")); // past the high-water mark: paused while nobody reads
    expect(log).toEqual(["pause"]);
    const s = sink();
    const piped = q.pipeTo(s);
    expect(s.written).toEqual(["ab", "c"]);
    expect(log).toEqual(["pause", "resume"]);
    q.push(Buffer.from("d"));
    expect(s.written).toEqual(["ab", "c", "d"]);
    q.finish();
    await expect(piped).resolves.toBeUndefined();
  });

  it("a full sink pauses the connection until it drains", async () => {
    const { q, log } = queue();
    const s = sink(2);
    const piped = q.pipeTo(s);
    q.push(Buffer.from("1"));
    expect(log).toEqual([]);
    q.push(Buffer.from("2")); // the sink is full now
    expect(log).toEqual(["pause"]);
    q.push(Buffer.from("3")); // in flight before the pause took effect: still written, no second pause
    expect(log).toEqual(["pause"]);
    s.drain();
    expect(log).toEqual(["pause", "resume"]);
    q.finish();
    await piped;
    expect(s.written).toEqual(["1", "2", "3"]);
  });

  it("rejects with the body's error; a body that had already ended resolves after its chunks", async () => {
    const { q } = queue();
    const piped = q.pipeTo(sink());
    q.finish(new Error("cut"));
    await expect(piped).rejects.toThrow("cut");

    const ended = queue().q;
    ended.push(Buffer.from("x"));
    ended.finish();
    const s = sink();
    await expect(ended.pipeTo(s)).resolves.toBeUndefined();
    expect(s.written).toEqual(["x"]);
  });
});

describe("stream backpressure through the gateway", () => {
  let upstream: Server;
  let written = 0;
  let h: Harness;
  const OFFERED = 256 * 1024 * 1024;

  beforeAll(async () => {
    // An upstream that streams as fast as its socket lets it: 256 MB of SSE, honouring drain.
    upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      const DONE = Buffer.from("data: [DONE]\n\n");
      const line = Buffer.from(
        `data: ${JSON.stringify({ choices: [{ delta: { content: "x".repeat(65_000) } }] })}\n\n`,
      );
      const pump = () => {
        while (written < OFFERED) {
          written += line.length;
          if (!res.write(line)) return void res.once("drain", pump);
        }
        written += DONE.length;
        res.end(DONE); // as an OpenAI stream ends
      };
      pump();
      res.on("close", () => undefined);
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as AddressInfo).port;
    h = await startHarness({
      upstreams: [],
      yaml: `
model_list:
  - model_name: big
    litellm_params: { model: openai/big, api_base: "http://127.0.0.1:${port}/v1", api_key: sk-up, region_name: eu }
general_settings:
  master_key: sk-1234
`,
    });
  });
  afterAll(async () => {
    await h?.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  it("a client that stops reading stops the upstream too (only socket buffers fill), and nothing is lost", async () => {
    const res = await request(`${h.url}/chat/completions`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "big", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.statusCode).toBe(200);
    // Read nothing for a while: the upstream must be held back, not drained into the gateway's memory.
    await new Promise((r) => setTimeout(r, 800));
    const heldAt = written;
    expect(heldAt, `upstream wrote ${heldAt} bytes while nobody read`).toBeLessThan(64 * 1024 * 1024);
    // Then read it all: every byte arrives.
    let received = 0;
    for await (const c of res.body) received += (c as Buffer).length;
    expect(written).toBeGreaterThanOrEqual(OFFERED);
    expect(received).toBe(written);
  }, 60_000);
});
