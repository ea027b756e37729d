import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script without type declarations
import { bundle } from "../../scripts/bundle.mjs";
import { transpile } from "../../test/transpile.js";

/**
 * `npm run bench` keeps working: the real bench script, short, against a private copy of the package
 * (bin/, bench/, dist/ and the single-file build). No figure is judged here (speed targets live in
 * the bench itself); what must hold is that every process starts, every measure is taken, the pinned
 * customer is served in eu and no request fails.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
let pkg: string;

beforeAll(async () => {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  pkg = mkdtempSync(join(ROOT, ".tmp", "bench-test-"));
  for (const dir of ["bin", "bench"]) {
    mkdirSync(join(pkg, dir));
    for (const f of readdirSync(join(ROOT, dir)))
      if (f.endsWith(".js") || f.endsWith(".mjs")) copyFileSync(join(ROOT, dir, f), join(pkg, dir, f));
  }
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  await transpile(join(ROOT, "src"), join(pkg, "dist"));
  await (bundle as (root: string, out: string) => Promise<void>)(ROOT, join(pkg, "dist", "meridian.cjs"));
}, 60_000);

afterAll(() => rmSync(pkg, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(pkg, "bench", "run.mjs"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => {
    stdout += c;
  });
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("npm run bench", () => {
  it("measures every figure and writes bench/results/latest.json", async () => {
    const r = await runBench([
      "--duration=1",
      "--runs=2",
      "--probes=40",
      "--cold-starts=1",
      "--slow-streams=50",
      "--spend-ab=1",
    ]);
    expect(r.stderr).not.toContain("bench failed");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("| throughput (50 conn)");
    expect(r.stdout).toContain("Targets:");
    const result = JSON.parse(readFileSync(join(pkg, "bench", "results", "latest.json"), "utf8"));
    const t = result.throughput;
    for (const v of [t.gatewayRps, t.directRps, t.bareProxyRps, t.ratio]) expect(v).toBeGreaterThan(0);
    expect(t.gatewayErrors).toBe(0);
    const c = result.concurrency1;
    for (const v of [c.gatewayP50Ms, c.gatewayP99Ms, c.directP50Ms, c.directP99Ms])
      expect(v).toBeGreaterThan(0);
    expect(c.gatewayP99Ms).toBeGreaterThanOrEqual(c.gatewayP50Ms);
    // the gateway's own share, read from its x-litellm-overhead-duration-ms, is part of what the client waited
    expect(c.gatewayOwnP50Ms).toBeGreaterThan(0);
    expect(c.gatewayOwnP50Ms).toBeLessThan(c.gatewayP50Ms);
    expect(result.streaming.gatewayTtfbP50Ms).toBeGreaterThan(0);
    // the translating leg (anthropic/): measured beside the passthrough one, and served without error
    const tr = result.translatedStreaming;
    for (const v of [tr.gatewayTtfbP50Ms, tr.directTtfbP50Ms, tr.cpuUsPerStream, tr.streamsPerS])
      expect(v).toBeGreaterThan(0);
    expect(result.streaming.passthroughCpuUsPerStream).toBeGreaterThan(0);
    expect([tr.errors, result.streaming.passthroughErrors]).toEqual([0, 0]);
    const cpu = result.cpuUsPerRequest;
    for (const v of [cpu.gateway, cpu.bareProxy, cpu.loadGenerator, cpu.upstream])
      expect(v).toBeGreaterThan(0);
    expect(result.memory.rssAfterRunsMb).toHaveLength(2);
    // the spend-log leg ran both gateways (records on and off) in the same run
    expect(result.spendLogAB.cpuUsPerRequestOn).toBeGreaterThan(0);
    expect(result.spendLogAB.cpuUsPerRequestOff).toBeGreaterThan(0);
    process.stderr.write(`spend log A/B (1 s, 1 round): ${JSON.stringify(result.spendLogAB)}\n`);
    expect(result.memory.rssUnderLoadMaxMb).toBeGreaterThan(20);
    const slow = result.slowStreams;
    for (const side of [slow.gateway, slow.bareProxy]) {
      expect(side.streamsPerS).toBeGreaterThan(0);
      expect(side.p50Ms).toBeGreaterThanOrEqual(slow.chunks * slow.chunkIntervalMs * 0.5);
      expect(side.cpuUsPerStream).toBeGreaterThan(0);
      expect(side.errors).toBe(0);
    }
    // the cache-hit leg: answered by the gateway alone (the upstream idles through it)
    const hit = result.cacheHit;
    for (const v of [hit.gatewayRps, hit.cpuUsPerRequest, hit.missCpuUsPerRequest])
      expect(v).toBeGreaterThan(0);
    expect(hit.errors).toBe(0);
    expect(hit.upstreamCpuUsPerRequest).toBeLessThan(cpu.upstream / 2);
    expect(result.coldStartMs).toBeGreaterThan(0);
    expect(result.coldStarts.nextMs).toHaveLength(1);
    // the virtual-key leg (key under a team with budgets and limits) ran beside the master-key one
    expect(result.virtualKey.rps).toBeGreaterThan(0);
    expect(result.virtualKey.cpuUsPerRequest).toBeGreaterThan(0);
    expect(result.virtualKey.masterKeyCpuUsPerRequest).toBe(cpu.gateway);
    // ten targets, and the spend-log one because --spend-ab ran
    expect(Object.keys(result.targets)).toHaveLength(11);
    expect(Object.keys(result.targets)).toEqual(
      expect.arrayContaining([
        "virtual key CPU/request within 10 % of master key",
        "spend log on: CPU/request within 10 % of off",
      ]),
    );
    for (const ok of Object.values(result.targets)) expect(typeof ok).toBe("boolean");
  }, 120_000);
});
