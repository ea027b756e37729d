import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load.js";
import { FakeUpstream } from "../demo/fake-upstream.js";
import { silentLogger } from "../observability/logger.js";
import { type RunningServer, startServer } from "../server.js";
import { openStore } from "../store/customers.js";

/**
 * Shutdown as SIGTERM runs it (RunningServer.shutdown), on a real listening server under load:
 * every request is answered, normally or with a 503 `shutting_down` envelope, never reset.
 */
let up: FakeUpstream;
let server: RunningServer | undefined;

beforeAll(async () => {
  up = await new FakeUpstream({ label: "eu", streamChunks: 40 }).start();
});
afterEach(async () => {
  await server?.shutdown();
  server = undefined;
  up.reset();
});
afterAll(() => up.stop());

async function start(general: string, databaseUrl = "sqlite::memory:"): Promise<number> {
  const yaml = `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "${up.url}/v1", api_key: sk-up, region_name: eu }
  - model_name: chat-only
    litellm_params:
      { model: openai/llama-3, api_base: "${up.url}/v1", api_key: sk-up, use_chat_completions_api: true }
router_settings: { num_retries: 0 }
general_settings:
  master_key: sk-1234
  database_url: "${databaseUrl}"
${general}`;
  server = await startServer(parseConfigText(yaml, "drain.yaml", {}), {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger(),
  });
  return server.port;
}

type Outcome = { status: number; code?: string; text: string; callId?: string } | { error: string };

function chat(port: number, agent: Agent | false, stream = false): Promise<Outcome> {
  return send(port, agent, "/chat/completions", {
    model: "gpt-4o",
    messages: [{ role: "user", content: "hi" }],
    stream,
  });
}

function send(port: number, agent: Agent | false, path: string, json: object): Promise<Outcome> {
  const body = JSON.stringify(json);
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path,
        agent,
        headers: { authorization: "Bearer sk-1234", "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => {
          let code: string | undefined;
          if (res.statusCode !== 200) code = (JSON.parse(text) as { error: { code: string } }).error.code;
          const callId = res.headers["x-litellm-call-id"] as string | undefined;
          resolve({ status: res.statusCode ?? 0, code, text, callId });
        });
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

/** Up to 5 s for the upstream's first `n` calls to have ended, by an abort or by finishing. */
async function upstreamSettled(n: number): Promise<void> {
  const end = Date.now() + 5_000;
  const settled = () =>
    up.requests.length >= n && up.requests.slice(0, n).every((r) => r.aborted || r.finished);
  while (!settled() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const isRefusal = (o: Outcome) => "status" in o && o.status === 503 && o.code === "shutting_down";

describe("shutdown under load", () => {
  it("150 keep-alive clients and 20 connecting anew: every request gets its answer or a 503 envelope, none a reset", async () => {
    const port = await start("  shutdown_grace_seconds: 10\n  shutdown_drain_seconds: 5\n");
    up.always = { delayMs: 20 };
    const outcomes: Outcome[] = [];
    const deadline = Date.now() + 60_000;
    let shutdownAt = 0;
    // Each client sends requests back to back until refused (503, or a closed port), bounded.
    const served: number[] = [];
    const client = async (agent: Agent | false, n: number) => {
      served[n] = 0;
      for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
        const o = await chat(port, agent);
        outcomes.push(o);
        if ("status" in o && o.status === 200) served[n]++;
        if (isRefusal(o) || ("error" in o && o.error === "ECONNREFUSED")) return;
        if ("error" in o) return; // a reset: counted below
      }
    };
    const agents = Array.from({ length: 150 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const clients = [
      ...agents.map((a, n) => client(a, n)),
      ...Array.from({ length: 20 }, (_, n) => client(false, 150 + n)),
    ];
    // under full load: every client served once (each keep-alive one on its own connection), or a
    // few seconds of it on a busy machine
    const warm = Date.now() + 5_000;
    while (served.some((n) => n < 1) && Date.now() < warm) await new Promise((r) => setTimeout(r, 20));
    shutdownAt = outcomes.length;
    const done = server!.shutdown();
    await Promise.all(clients);
    await done;
    server = undefined;
    for (const a of agents) a.destroy();

    const after = outcomes.slice(shutdownAt);
    const kinds = new Map<string, number>();
    for (const o of after) {
      const k = "error" in o ? o.error : `${o.status}${o.code ? ` ${o.code}` : ""}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    // No reset or hang-up: only answers, and refusals of connections the closed port did not take.
    expect(
      [...kinds.keys()].filter((k) => !["200", "503 shutting_down", "ECONNREFUSED"].includes(k)),
    ).toEqual([]);
    // every keep-alive client was still connected: it was answered 503, not refused at the port
    expect(kinds.get("503 shutting_down") ?? 0).toBeGreaterThanOrEqual(150);
    for (const o of after.filter(isRefusal))
      expect((o as { text: string }).text).toContain('"type":"service_unavailable_error"');
    expect(outcomes.slice(0, shutdownAt).every((o) => "status" in o && o.status === 200)).toBe(true);
  }, 90_000);

  it("at the end of the grace period a stream gets one final error event and a request still waiting a 503 envelope", async () => {
    const port = await start("  shutdown_grace_seconds: 1\n  shutdown_drain_seconds: 0.2\n");
    // a stream of 40 chunks 100 ms apart, and an answer 8 s away: both outlast the 1 s grace
    up.always = { chunkIntervalMs: 100, delayMs: 0 };
    const stream = chat(port, false, true);
    while (up.hits < 1) await new Promise((r) => setTimeout(r, 10));
    up.always = { delayMs: 8_000 };
    const waiting = chat(port, false);
    while (up.hits < 2) await new Promise((r) => setTimeout(r, 10));
    await server!.shutdown();
    server = undefined;

    const s = await stream;
    expect("status" in s && s.status).toBe(200);
    const events = (s as { text: string }).text.split("\n\n").filter((e) => e.startsWith("data: "));
    // some chunks, then exactly one error event, last
    expect(events.length).toBeGreaterThan(1);
    const last = JSON.parse(events[events.length - 1].slice(6)) as { error: { code: string; type: string } };
    expect(last.error).toMatchObject({ code: "shutting_down", type: "service_unavailable_error" });
    expect(events.filter((e) => e.includes('"error"'))).toHaveLength(1);
    expect(events.some((e) => e.includes("[DONE]"))).toBe(false);

    const w = await waiting;
    expect(w).toMatchObject({ status: 503, code: "shutting_down" });
    // both upstream calls were cancelled, not left running (shutdown would have waited on them); the
    // upstream sees its sockets close a moment later
    await upstreamSettled(2);
    expect(up.requests.map((r) => r.aborted)).toEqual([true, true]);
  }, 20_000);

  it("what the grace period's end cut is recorded as cut by the shutdown, not as left by the client", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meridian-drain-"));
    const db = `sqlite:${join(dir, "m.db")}`;
    try {
      const port = await start(
        `  shutdown_grace_seconds: 1\n  shutdown_drain_seconds: 0.2\n  spend_logs_spill_dir: ${dir}\n`,
        db,
      );
      up.always = { chunkIntervalMs: 100, delayMs: 0 };
      const stream = chat(port, false, true);
      while (up.hits < 1) await new Promise((r) => setTimeout(r, 10));
      up.always = { delayMs: 8_000 };
      const waiting = chat(port, false);
      while (up.hits < 2) await new Promise((r) => setTimeout(r, 10));
      await server!.shutdown();
      server = undefined;
      const [s, w] = await Promise.all([stream, waiting]);
      const store = await openStore(db);
      try {
        const { rows } = await store.spend.find({}, 10, 0);
        // each answer's call id names its record, the 503 the shutdown wrote itself included
        const ids = [s, w].map((o) => ("callId" in o ? o.callId : undefined));
        expect(rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
        const cut = rows.map((r) => [r.status, r.http_status, r.error_code, r.stream]).sort();
        expect(cut).toEqual([
          ["failure", 200, "shutting_down", "shutdown"],
          ["failure", 503, "shutting_down", null],
        ]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  for (const model of ["gpt-4o", "chat-only"]) {
    it(`a Responses stream's final event is a Responses error event, numbered after the last sent (${model})`, async () => {
      const port = await start("  shutdown_grace_seconds: 1\n  shutdown_drain_seconds: 0.2\n");
      // one event (native) or chunk (translated) every 150 ms: the stream outlasts the 1 s grace
      up.always = { chunkIntervalMs: 150 };
      const stream = send(port, false, "/v1/responses", { model, input: "hi", stream: true });
      while (up.hits < 1) await new Promise((r) => setTimeout(r, 10));
      await server!.shutdown();
      server = undefined;

      const s = await stream;
      expect("status" in s && s.status).toBe(200);
      const events = (s as { text: string }).text
        .split("\n\n")
        .filter((e) => e !== "")
        .map((e) => {
          const lines = e.split("\n");
          return {
            event: lines.find((l) => l.startsWith("event: "))?.slice(7),
            data: JSON.parse(lines.find((l) => l.startsWith("data: "))!.slice(6)) as Record<string, unknown>,
          };
        });
      expect(events.length).toBeGreaterThan(2);
      const last = events[events.length - 1];
      expect(last.event).toBe("error");
      expect(last.data).toEqual({
        type: "error",
        code: "shutting_down",
        message: expect.any(String),
        param: null,
        sequence_number: events.length - 1,
      });
      // every event before it is the stream's own, numbered from 0
      expect(events.slice(0, -1).map((e) => e.data.sequence_number)).toEqual(
        events.slice(0, -1).map((_, i) => i),
      );
      expect(events.filter((e) => e.event === "error")).toHaveLength(1);
      await upstreamSettled(1);
      expect(up.requests.map((r) => r.aborted)).toEqual([true]);
    }, 20_000);
  }
});
