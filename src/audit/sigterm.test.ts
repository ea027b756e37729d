import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { send } from "../../test/faults/client.js";
import { buildCli, freePort, waitFor } from "../../test/testkit.js";
import { runAudit } from "../cli/audit.js";
import { FakeUpstream } from "../demo/fake-upstream.js";

/**
 * The real CLI, SIGTERM while 16 clients keep it busy with streams and whole answers: after it has
 * exited, the database holds exactly one record per request that was answered (none lost from the
 * writer's queue, none invented), and the chain verifies. The flush interval is long (30 s), so
 * every record is still queued when the signal arrives: only the shutdown drain can write them.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups) c();
});

describe("SIGTERM under load", () => {
  it("records in the database = requests answered (streams and non-streams), chain intact", async () => {
    const eu = await new FakeUpstream({ label: "eu", streamChunks: 20 }).start();
    cleanups.push(() => void eu.stop());
    const mainJs = await buildCli(ROOT);
    const dir = mkdtempSync(join(tmpdir(), "meridian-sigterm-"));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(dirname(mainJs), { recursive: true, force: true });
    });
    const config = join(dir, "config.yaml");
    const db = join(dir, "gw.db");
    writeFileSync(
      config,
      `model_list:
  - model_name: chat
    litellm_params:
      model: openai/gpt-4o
      api_base: ${eu.url}/v1
      api_key: sk-eu
      region_name: eu
general_settings:
  master_key: sk-1234
  shutdown_grace_seconds: 10
  proxy_batch_write_at: 30
  spend_logs_spill_dir: ${join(dir, "spill")}
`,
    );
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `sqlite:${db}` };
    delete env.REDIS_URL;
    const child = spawn(
      process.execPath,
      [mainJs, "--config", config, "--host", "127.0.0.1", "--port", String(port)],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    cleanups.push(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const output: string[] = [];
    child.stdout?.on("data", (d) => output.push(String(d)));
    child.stderr?.on("data", (d) => output.push(String(d)));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      "the CLI to answer",
      async () => (await send(url, { path: "/health/liveliness", timeoutMs: 1_000 })).status === 200,
      20_000,
    );

    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const answered: string[] = [];
    const statuses = new Map<number, number>();
    let stopAt = Number.POSITIVE_INFINITY;
    let n = 0;
    const worker = async () => {
      while (Date.now() < stopAt) {
        const stream = n++ % 3 === 0;
        const a = await send(url, {
          method: "POST",
          path: "/v1/chat/completions",
          headers: { authorization: "Bearer sk-1234", "content-type": "application/json" },
          body: { model: "chat", messages: [{ role: "user", content: "hi" }], stream },
          agent,
          timeoutMs: 15_000,
        });
        const id = a.headers["x-litellm-call-id"];
        if (a.status > 0) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (typeof id === "string") answered.push(id);
        if (a.status === 0) await new Promise((r) => setTimeout(r, 20));
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, worker));
    await waitFor("load to build up", () => eu.hits >= 200, 30_000);
    child.kill("SIGTERM");
    stopAt = Date.now() + 800;
    await load;
    agent.destroy();
    expect(await exited, output.join("")).toBe(0);

    const rows = new SQLite(db, { readonly: true })
      .prepare("select request_id, status, stream from spend_logs")
      .all() as Array<{ request_id: string; status: string; stream: string | null }>;
    const stored = new Set(rows.map((r) => r.request_id));
    expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    expect(rows.length).toBe(answered.length);
    expect(rows.some((r) => r.stream === "completed")).toBe(true);
    expect(rows.some((r) => r.stream === null && r.status === "success")).toBe(true);
    // nothing had to be spilled: the drain wrote every record to the database
    expect(existsSync(join(dir, "spill"))).toBe(false);
    const out: string[] = [];
    expect(
      await runAudit(
        ["verify", "--database_url", `sqlite:${db}`],
        {},
        (s) => out.push(s),
        () => {},
      ),
    ).toBe(0);
    console.log(
      `sigterm: ${answered.length} answered (${JSON.stringify(Object.fromEntries(statuses))}), ${rows.length} records`,
    );
  }, 90_000);
});
