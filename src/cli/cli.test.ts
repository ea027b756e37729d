import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transpile } from "../../test/transpile.js";
import { FakeUpstream } from "../demo/fake-upstream.js";

/**
 * The real CLI as a child process, from the sources transpiled (testing/transpile.ts) into a dist/
 * next to a copy of package.json, under .tmp/: node_modules resolve from the repository as they
 * would from dist/.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
let out: string;
let main: string;
let work: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every child started, so a failed test cannot leave a server running. */
const children: ChildProcess[] = [];

function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [main, ...args], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: `sqlite:${join(work, "cli.db")}`,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const p = spawnCli(args, env);
  let stdout = "";
  let stderr = "";
  p.stdout?.on("data", (c) => {
    stdout += c;
  });
  p.stderr?.on("data", (c) => {
    stderr += c;
  });
  return new Promise((resolve) => p.on("close", (code) => resolve({ code, stdout, stderr })));
}

function configFile(name: string, text: string): string {
  const f = join(work, name);
  writeFileSync(f, text);
  return f;
}

beforeAll(async () => {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  out = mkdtempSync(join(ROOT, ".tmp", "cli-test-"));
  copyFileSync(join(ROOT, "package.json"), join(out, "package.json"));
  await transpile(join(ROOT, "src"), join(out, "dist"));
  main = join(out, "dist", "main.js");
  work = mkdtempSync(join(tmpdir(), "meridian-cli-"));
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(out, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe("meridian CLI", () => {
  it("--help and -h print usage and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage: meridian --config FILE");
      expect(r.stdout).toContain("--port");
      expect(r.stderr).toBe("");
    }
  });

  it("--version prints package.json's version", async () => {
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.stdout.trim()).not.toBe("0.0.0");
  });

  it("an unknown flag or a bad port is a usage error (exit 2)", async () => {
    const a = await run(["--config", "x.yaml", "--bogus"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--bogus");
    expect(a.stderr).toContain("Usage:");
    const b = await run(["--config", "x.yaml", "--port", "http"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--port");
  });

  it("no config at all says how to give one (exit 2)", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no config file given");
    expect(r.stderr).toContain("CONFIG_FILE_PATH");
  });

  it("a missing config file is named in the error (exit 1), no stack trace", async () => {
    const missing = join(work, "nope", "config.yaml");
    const r = await run(["--config", missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toContain("file not found");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("an invalid config points at file:line and key path (exit 1)", async () => {
    const f = configFile(
      "bad.yaml",
      `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-very-secret-upstream
      region_name: mars
`,
    );
    const r = await run(["-c", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:6 model_list[0].litellm_params.region_name`);
    expect(r.stderr).toContain('"mars"');
    expect(r.stderr).not.toContain("sk-very-secret-upstream");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("check --config prints groups by geography with evidence, contacts nothing, exits 1 on a contradiction", async () => {
    let connections = 0;
    const listener = createServer(() => {
      connections++;
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const port = (listener.address() as { port: number }).port;
    try {
      const good = configFile(
        "check.yaml",
        `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "https://eu.api.openai.com/v1" }
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:${port}/v1", region_name: us }
  - model_name: gpt-4o
    litellm_params: { model: azure/gpt-4o, api_base: "https://x.openai.azure.com" }
    model_info: { azure_deployment_type: GlobalStandard }
  - model_name: only-us
    litellm_params: { model: openai/gpt-4o-mini, api_base: "https://us.api.openai.com/v1" }
`,
      );
      const r = await run(["check", "--config", good]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /model group "gpt-4o" \(3 deployments\)\n {2}eu:\n {4}\w+ {2}openai\/gpt-4o {2}api_base host eu.api.openai.com/,
      );
      expect(r.stdout).toContain(
        "azure_deployment_type: GlobalStandard: Azure may process the prompt in any geography",
      );
      expect(r.stdout).toContain('model group "only-us": a customer pinned to eu could never use it');
      const bad = configFile(
        "check-bad.yaml",
        `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o
      api_base: "https://x.openai.azure.com"
      region_name: eu
    model_info: { azure_deployment_type: GlobalStandard }
`,
      );
      const b = await run(["check", "-c", bad]);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain(
        `${bad}:6 model_list[0].litellm_params.region_name: region_name "eu" contradicts`,
      );
      const u = await run(["chekc", "-c", bad]);
      expect(u.code).toBe(2);
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });

  it("a config that names a missing environment variable says which", async () => {
    const f = configFile(
      "env.yaml",
      `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/MERIDIAN_TEST_UNSET_KEY
`,
    );
    const r = await run(["--config", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("MERIDIAN_TEST_UNSET_KEY");
    expect(r.stderr).toContain(`${f}:5`);
  });

  it("a port already in use is a clear startup failure (exit 1)", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    const f = configFile(
      "port.yaml",
      "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/m\n      mock_response: hi\n",
    );
    try {
      const r = await run(["--config", f, "--host", "127.0.0.1", "--port", String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("EADDRINUSE");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      taken.close();
    }
  });

  it("a valid config serves, logs where it listens, and exits 0 on SIGTERM", async () => {
    const up = await new FakeUpstream({ label: "eu" }).start();
    try {
      const f = configFile(
        "good.yaml",
        `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: ${up.url}/v1
      api_key: sk-very-secret-upstream
      region_name: eu
general_settings:
  master_key: os.environ/TEST_MASTER
`,
      );
      const rel = relative(work, f);
      // CONFIG_FILE_PATH instead of --config, a relative path, port 0 for an ephemeral port
      const p = spawnCli(["--host", "127.0.0.1"], {
        CONFIG_FILE_PATH: rel,
        PORT: "0",
        TEST_MASTER: "sk-cli",
      });
      let stdout = "";
      let stderr = "";
      p.stderr?.on("data", (c) => {
        stderr += c;
      });
      const exited = new Promise<number | null>((resolve) => p.on("close", (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 15_000);
        p.stdout?.on("data", (c) => {
          stdout += c;
          const m = /Meridian listening on (http:\/\/[^"\s]+)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        p.on("close", () => reject(new Error(`exited early: ${stderr}`)));
      });
      const port = Number(new URL(url).port);
      expect(port).toBeGreaterThan(0);
      const alive = await fetch(`http://127.0.0.1:${port}/health/liveliness`);
      expect(alive.status).toBe(200);
      expect(await alive.json()).toBe("I'm alive!");
      const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer sk-cli", "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(chat.status).toBe(200);
      expect(chat.headers.get("x-litellm-model-region")).toBe("eu");
      // SIGTERM during a stream: the stream finishes, new work is refused, then the process exits 0.
      up.next({ chunkIntervalMs: 100 });
      const stream = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer sk-cli", "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      const reader = stream.body!.getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      p.kill("SIGTERM");
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        text += new TextDecoder().decode(r.value);
      }
      expect(text.trim().endsWith("data: [DONE]")).toBe(true);
      expect(await exited).toBe(0);
      expect(stdout + stderr).not.toContain("sk-very-secret-upstream");
      expect(stdout + stderr).not.toContain("sk-cli");
      // one request line per proxied call, with the call id
      expect(stdout).toContain(chat.headers.get("x-litellm-call-id"));
    } finally {
      await up.stop();
    }
  });
});
