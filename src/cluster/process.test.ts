import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, chat } from "../../test/fleet.js";
import {
  buildCli,
  deleteKeys,
  freePort,
  TEST_REDIS_URL,
  uniqueName,
  waitFor,
  waitForCooldownInRedis,
} from "../../test/testkit.js";
import { FakeUpstream } from "../demo/fake-upstream.js";

/**
 * The built CLI as an operator runs it: `node main.js --config …`, one process or a cluster,
 * stopped with SIGTERM. Every request here opens its own connection (as many clients behind a
 * load balancer do), so the cluster spreads them over its workers.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let mainJs: string;
let dir: string;
let upstream: FakeUpstream;
const children: ChildProcess[] = [];

beforeAll(async () => {
  mainJs = await buildCli(ROOT);
  dir = mkdtempSync(join(tmpdir(), "meridian-proc-"));
  upstream = await new FakeUpstream({ label: "eu", streamChunks: 4 }).start();
}, 60_000);
afterEach(() => upstream.reset());
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await upstream.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dirname(mainJs), { recursive: true, force: true });
});

function writeConfig(name: string, withUs: boolean): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: openai/gpt-3.5-turbo
      api_base: ${upstream.url}/v1
      api_key: sk-upstream
      region_name: eu
${
  withUs
    ? `  - model_name: gpt-3.5-turbo
    litellm_params:
      model: openai/gpt-3.5-turbo
      mock_response: "served in us"
      region_name: us
`
    : ""
}router_settings:
  num_retries: 0
  cooldown_time: 30
general_settings:
  master_key: sk-1234
  shutdown_grace_seconds: 10
`,
  );
  return file;
}

interface Cli {
  child: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<number | null>;
}

async function startCli(
  name: string,
  withUs: boolean,
  extra: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Cli> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}` };
  delete env.REDIS_URL;
  Object.assign(env, extraEnv);
  const child = spawn(
    process.execPath,
    [mainJs, "--config", writeConfig(name, withUs), "--host", "127.0.0.1", "--port", String(port), ...extra],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  const output: string[] = [];
  child.stdout?.on("data", (d) => output.push(String(d)));
  child.stderr?.on("data", (d) => output.push(String(d)));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await waitFor(
    "the CLI to answer",
    async () => {
      if (child.exitCode !== null) throw new Error(`CLI exited early: ${output.join("")}`);
      return (await call(port, "GET", "/health/liveliness").catch(() => undefined))?.status === 200;
    },
    20_000,
  );
  return { child, port, output, exited };
}

function listening(cli: Cli): boolean {
  const out = cli.output.join("");
  if (cli.child.exitCode !== null) throw new Error(`CLI exited: ${out}`);
  return out.includes("with 2 workers");
}

/** One request on a fresh connection. */
function call(port: number, method: string, path: string, body?: unknown) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((res, rej) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        headers: { ...ADMIN, "content-type": "application/json" },
      },
      (r) => {
        let text = "";
        r.setEncoding("utf8");
        r.on("data", (c) => {
          text += c;
        });
        r.on("end", () => res({ status: r.statusCode ?? 0, headers: r.headers, text }));
        r.on("error", rej);
      },
    );
    req.on("error", rej);
    req.end(data);
  });
}

describe("graceful shutdown of the built CLI", () => {
  it("SIGTERM under load: every in-flight request (streams too) completes with 200, a new one gets 503 shutting_down, then exit 0", async () => {
    const cli = await startCli("single", false);
    upstream.always = { delayMs: 300, chunkIntervalMs: 100 };
    const plain = Array.from({ length: 50 }, () =>
      call(cli.port, "POST", "/chat/completions", chat("anyone")),
    );
    const streams = Array.from({ length: 3 }, () =>
      call(cli.port, "POST", "/chat/completions", { ...chat("anyone"), stream: true }),
    );
    // every request has reached the upstream and is waiting on it
    await waitFor("all requests to be in flight", () => upstream.hits >= 53, 10_000);
    cli.child.kill("SIGTERM");
    await waitFor("the shutdown to begin", () => cli.output.join("").includes("shutting down"), 5_000);
    // The port stays open while requests are in flight: a new connection is answered, not reset.
    const late = await call(cli.port, "POST", "/chat/completions", chat("anyone"));
    expect(late.status).toBe(503);
    expect(JSON.parse(late.text).error.code).toBe("shutting_down");
    expect(late.headers.connection).toBe("close");
    const results = await Promise.all([...plain, ...streams]);
    for (const r of results) expect(r.status).toBe(200);
    for (const r of results.slice(50)) expect(r.text).toContain("data: [DONE]");
    expect(await cli.exited).toBe(0);
    expect(cli.output.join("")).toContain("shutdown complete");
    await expect(call(cli.port, "GET", "/health/liveliness")).rejects.toThrow();
  });
});

describe("--num_workers 2 without Redis", () => {
  it("warns that limits are per worker, relays customer changes to every worker, and stops with exit 0", async () => {
    const cli = await startCli("workers", true, ["--num_workers", "2"]);
    await waitFor("both workers to listen", () => listening(cli), 20_000);
    expect(cli.output.join("")).toContain("per worker");

    const created = await call(cli.port, "POST", "/end_user/new", {
      user_id: "w-1",
      allowed_model_region: "eu",
    });
    expect(created.status).toBe(200);
    // new connections go round-robin over the workers: both now cache "eu" for w-1
    for (let i = 0; i < 8; i++) {
      const r = await call(cli.port, "POST", "/chat/completions", chat("w-1"));
      expect(r.headers["x-litellm-model-region"]).toBe("eu");
    }
    const updated = await call(cli.port, "POST", "/end_user/update", {
      user_id: "w-1",
      allowed_model_region: "us",
    });
    expect(updated.status).toBe(200);
    for (let i = 0; i < 8; i++) {
      const r = await call(cli.port, "POST", "/chat/completions", chat("w-1"));
      expect(r.status).toBe(200);
      expect(r.headers["x-litellm-model-region"]).toBe("us");
    }

    // a worker that dies is replaced; the survivors keep serving meanwhile
    const workers = () =>
      execFileSync("pgrep", ["-P", String(cli.child.pid)], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map(Number);
    const before = workers();
    expect(before).toHaveLength(2);
    process.kill(before[0], "SIGKILL");
    await waitFor(
      "a replacement worker",
      () => {
        const now = workers();
        return now.length === 2 && !now.includes(before[0]);
      },
      15_000,
    );
    expect(cli.output.join("")).toContain("worker died; starting a replacement");
    for (let i = 0; i < 6; i++) {
      const r = await call(cli.port, "POST", "/chat/completions", chat("w-1"));
      expect(r.status).toBe(200);
      expect(r.headers["x-litellm-model-region"]).toBe("us");
    }

    const last = workers();
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(cli.output.join("")).toContain("all workers stopped");
    for (const pid of last) expect(() => process.kill(pid, 0)).toThrow(); // no orphaned worker
  });
});

describe("--num_workers 2 with Redis", () => {
  const prefix = `${uniqueName("workers")}:`;
  afterAll(() => deleteKeys(TEST_REDIS_URL, prefix));

  it("a cooldown hit by one worker is honoured by the other", async () => {
    const cli = await startCli("workers-redis", true, ["--num_workers", "2"], {
      REDIS_URL: TEST_REDIS_URL,
      MERIDIAN_REDIS_PREFIX: prefix,
    });
    await waitFor("both workers to listen", () => listening(cli), 20_000);
    expect(cli.output.join("")).not.toContain("per worker");
    const ready = await call(cli.port, "GET", "/health/readiness");
    expect(JSON.parse(ready.text).checks.redis.ok).toBe(true);
    expect(
      (await call(cli.port, "POST", "/end_user/new", { user_id: "wr-eu", allowed_model_region: "eu" }))
        .status,
    ).toBe(200);
    // Unrestricted traffic cools the eu deployment (it has the us one to go to; a pinned customer's
    // only in-region deployment is not cooled by its own blip).
    // A Retry-After makes it a cooldown the upstream asked for: no half-open probe (routing.md) ends it.
    upstream.next({ status: 429, headers: { "retry-after": "30" } });
    for (let i = 0; i < 40 && upstream.hits === 0; i++)
      await call(cli.port, "POST", "/chat/completions", chat("wr-anyone"));
    expect(upstream.hits).toBe(1);
    await waitForCooldownInRedis(TEST_REDIS_URL, prefix);
    // new connections reach both workers; neither calls the cooled eu deployment again
    for (let i = 0; i < 6; i++) {
      const r = await call(cli.port, "POST", "/chat/completions", chat("wr-eu"));
      expect(r.status).toBe(429);
      expect(JSON.parse(r.text).error.code).toBe("region_capacity_exhausted");
    }
    expect(upstream.hits).toBe(1);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
  });
});
