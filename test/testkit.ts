import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";

/**
 * Test tooling for the scale-out suites: real services only. A private redis-server the test may
 * kill (never the shared one), a TCP proxy in front of the shared Postgres that the test can cut,
 * and a private build of the CLI so tests do not race other builds of dist/.
 */

export const TEST_PG_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function uniqueName(kind: string): string {
  return `meridian_test_${kind}_${randomBytes(5).toString("hex")}`;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A redis-server of our own on `port`, so a test can kill and restart it. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly password?: string,
  ) {}
  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ""}127.0.0.1:${this.port}`;
  }
  async start(): Promise<this> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    if (this.password) args.push("--requirepass", this.password);
    const child = spawn("redis-server", args, { stdio: "ignore" });
    this.child = child;
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null });
    probe.on("error", () => {});
    await waitFor("redis-server to start", async () => {
      try {
        if (probe.status !== "ready") await probe.connect();
        return (await probe.ping()) === "PONG";
      } catch {
        return false;
      }
    });
    probe.disconnect();
    return this;
  }
  /** Freeze the server (SIGSTOP): connections stay open but nothing is answered, as in a hung host. */
  async pause(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null) c.kill("SIGSTOP");
  }
  async resume(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null) c.kill("SIGCONT");
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once("exit", () => r());
      c.kill("SIGKILL");
    });
  }
}

/** Forwards a local port to Postgres; `cut()` drops every connection and refuses new ones. */
export class PgProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target = { host: "127.0.0.1", port: 5432 }) {}
  async start(port = 0): Promise<this> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
  /** Listen again on the same port. */
  async restore(): Promise<void> {
    await this.start(this.port);
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await c.end();
  }
}

export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}

/**
 * Compile the CLI into a private directory inside the repo (node_modules resolve from there),
 * so tests never race other builds of dist/. esbuild (already installed with vitest) transpiles
 * the same sources in well under a second; without it, the project's own tsc build is used.
 * Returns the path of main.js; remove its directory afterwards.
 */
export async function buildCli(repoRoot: string): Promise<string> {
  const out = join(repoRoot, "node_modules", ".cache", `meridian-test-${randomBytes(4).toString("hex")}`);
  mkdirSync(out, { recursive: true });
  // Under node_modules the repo's package.json is not consulted, so say "ESM" here.
  writeFileSync(join(out, "package.json"), '{"type":"module"}\n');
  const src = join(repoRoot, "src");
  const entryPoints = listSources(src);
  try {
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints,
      outdir: out,
      outbase: src,
      format: "esm",
      platform: "node",
      target: "node20",
    });
    return join(out, "main.js");
  } catch {
    // fall through to tsc
  }
  try {
    execFileSync(
      join(repoRoot, "node_modules", ".bin", "tsc"),
      ["-p", "tsconfig.build.json", "--outDir", out],
      {
        cwd: repoRoot,
        stdio: "pipe",
      },
    );
  } catch {
    // Type errors elsewhere in a tree being edited still emit JavaScript; a missing main.js is fatal below.
  }
  return join(out, "main.js");
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listSources(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/**
 * Cooldowns travel to other processes a few ms after the failing response (LiteLLM's semantics
 * too): wait until Redis holds one under `prefix`, plus a margin for the pub/sub message to be read.
 */
export async function waitForCooldownInRedis(url: string, prefix: string, marginMs = 100): Promise<void> {
  const r = new Redis(url);
  try {
    await waitFor("the cooldown to reach Redis", async () => {
      return (await r.keys(`${prefix}deployment:*:cooldown`)).length > 0;
    });
  } finally {
    r.disconnect();
  }
  await new Promise((res) => setTimeout(res, marginMs));
}
