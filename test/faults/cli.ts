import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCli, freePort, waitFor } from "../testkit.js";
import { send } from "./client.js";

/** The built CLI in a child process, so the shutdown phase can send it a real SIGTERM. */
export interface Cli {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<number | null>;
  dispose(): void;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export async function startCli(upstreams: { eu: string; us: string }): Promise<Cli> {
  const mainJs = await buildCli(ROOT);
  const dir = mkdtempSync(join(tmpdir(), "meridian-faults-"));
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    `model_list:
${Object.entries(upstreams)
  .map(
    ([region, url]) => `  - model_name: chat
    litellm_params:
      model: openai/chat-${region}
      api_base: ${url}/v1
      api_key: sk-${region}
      region_name: ${region}
`,
  )
  .join("")}router_settings:
  num_retries: 1
general_settings:
  master_key: sk-1234
  shutdown_grace_seconds: 10
`,
  );
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `sqlite:${join(dir, "cli.db")}` };
  delete env.REDIS_URL;
  const child = spawn(
    process.execPath,
    [mainJs, "--config", config, "--host", "127.0.0.1", "--port", String(port)],
    {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  child.stdout?.on("data", (d) => output.push(String(d)));
  child.stderr?.on("data", (d) => output.push(String(d)));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const dispose = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(mainJs), { recursive: true, force: true });
  };
  try {
    await waitFor(
      "the CLI to answer",
      async () => {
        if (child.exitCode !== null) throw new Error(`CLI exited early: ${output.join("")}`);
        return (await send(url, { path: "/health/liveliness", timeoutMs: 1_000 })).status === 200;
      },
      20_000,
    );
  } catch (err) {
    dispose();
    throw err;
  }
  return { child, url, output, exited, dispose };
}
