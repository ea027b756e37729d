import { type ChildProcess, spawn } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script without type declarations
import { bundle } from "../../scripts/bundle.mjs";
import { deleteKeys, dropSchema, TEST_PG_URL, TEST_REDIS_URL, uniqueName } from "../../test/testkit.js";
import { FakeUpstream } from "../demo/fake-upstream.js";

/**
 * What `npm start` runs: bin/meridian.js starting the single-file build with V8's code cache.
 * Built here into a private directory laid out like the package (bin/, dist/, package.json).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
let pkg: string;
let up: FakeUpstream;
const children: ChildProcess[] = [];
// Every lazily loaded driver configured (pg, ioredis): a lazy load that works only on a cold start
// would break the second one, which runs from the code cache.
const schema = uniqueName("bundle").replace(/\W/g, "_");
const prefix = `${uniqueName("bundle")}:`;

beforeAll(async () => {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  pkg = mkdtempSync(join(ROOT, ".tmp", "bundle-test-"));
  mkdirSync(join(pkg, "bin"));
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  copyFileSync(join(ROOT, "bin", "meridian.js"), join(pkg, "bin", "meridian.js"));
  await (bundle as (root: string, out: string) => Promise<void>)(ROOT, join(pkg, "dist", "meridian.cjs"));
  up = await new FakeUpstream({ label: "eu" }).start();
  writeFileSync(
    join(pkg, "config.yaml"),
    `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "${up.url}/v1", api_key: sk-up, region_name: eu }
router_settings:
  redis_url: ${TEST_REDIS_URL}
general_settings:
  master_key: sk-1234
  database_url: "${TEST_PG_URL}?schema=${schema}"
`,
  );
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await up?.stop();
  await dropSchema(schema);
  await deleteKeys(TEST_REDIS_URL, prefix);
  rmSync(pkg, { recursive: true, force: true });
});

/** Start the packaged CLI on an ephemeral port; resolves with its URL once it says it listens. */
function start(): Promise<{ url: string; child: ChildProcess; out: () => string }> {
  const child = spawn(
    process.execPath,
    [
      join(pkg, "bin", "meridian.js"),
      "--config",
      join(pkg, "config.yaml"),
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: "info",
        MERIDIAN_DEBUG_STARTUP: "1",
        MERIDIAN_REDIS_PREFIX: prefix,
      },
    },
  );
  children.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (c) => {
      out += c;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve({ url: m[1], child, out: () => out });
    });
    child.stderr?.on("data", (c) => {
      out += c;
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill("SIGTERM");
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

const cacheFiles = () => readdirSync(join(pkg, "dist")).filter((f) => f.endsWith(".v8cache"));

describe("bin/meridian.js with the single-file build", () => {
  it("serves a pinned customer in region, writes its code cache a second after listening, and serves again from it", async () => {
    expect(cacheFiles()).toEqual([]);
    // undici's Pool alone went into the bundle, not its fetch/WebSocket half
    const source = readFileSync(join(pkg, "dist", "meridian.cjs"), "utf8");
    expect(source).toContain("undici/lib/dispatcher/pool.js");
    expect(source).not.toContain("undici/lib/web/websocket");
    // a classic script from an accepted code cache has no dynamic-import callback (Node 20)
    expect(/\bimport\(/.test(source)).toBe(false);
    let written = 0;
    for (let run = 0; run < 2; run++) {
      const { url, child, out } = await start();
      expect(out()).toContain(run === 0 ? "code cache absent" : "code cache accepted");
      expect(out()).toContain(`schema ${schema}`);
      expect(out()).toContain('"redis":"shared state"');
      const h = { "content-type": "application/json", authorization: "Bearer sk-1234" };
      if (run === 0) {
        const c = await fetch(`${url}/end_user/new`, {
          method: "POST",
          headers: h,
          body: JSON.stringify({ user_id: "cust-eu", allowed_model_region: "eu" }),
        });
        expect(c.status).toBe(200);
      }
      const chat = (stream: boolean) =>
        fetch(`${url}/chat/completions`, {
          method: "POST",
          headers: h,
          body: JSON.stringify({
            model: "gpt-4o",
            messages: [{ role: "user", content: "hi" }],
            user: "cust-eu",
            stream,
          }),
        });
      const r = await chat(false);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
      // the version comes from package.json, found relative to the bundle
      expect(r.headers.get("x-litellm-version")).toMatch(/^\d+\.\d+\.\d+/);
      // a stream too (the bundle carries undici's Pool alone: scripts/undici-pool.cjs)
      const s = await chat(true);
      expect(s.status).toBe(200);
      expect(s.headers.get("x-litellm-model-region")).toBe("eu");
      const text = await s.text();
      expect(text).toContain("Hello");
      expect(text.trim().endsWith("data: [DONE]")).toBe(true);
      const ready = await fetch(`${url}/health/readiness`);
      expect(ready.status).toBe(200);
      const { checks } = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
      expect(checks.db.ok && checks.redis.ok).toBe(true);
      for (let i = 0; i < 250 && cacheFiles().length === 0; i++) await new Promise((s) => setTimeout(s, 20));
      expect(cacheFiles()).toHaveLength(1);
      expect(cacheFiles()[0]).toMatch(
        new RegExp(`^meridian\\.cjs\\.${process.version}-${process.arch}-\\d+-\\d+\\.v8cache$`),
      );
      const mtime = statSync(join(pkg, "dist", cacheFiles()[0])).mtimeMs;
      // V8 accepted the cache on the second start, so it was not written again.
      if (run === 1) expect(mtime).toBe(written);
      written = mtime;
      expect(await stop(child)).toBe(0);
    }
    // A changed bundle never runs with the old cache (V8 itself would only compare the length).
    appendFileSync(join(pkg, "dist", "meridian.cjs"), "\n// rebuilt\n");
    const again = await start();
    expect(again.out()).toContain("code cache absent");
    expect(await stop(again.child)).toBe(0);
  }, 60_000);
});
