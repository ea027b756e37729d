// Latency probes that autocannon's 1 ms resolution cannot give: sequential requests timed in µs.
import { readFileSync } from "node:fs";
import { Pool } from "undici";

/** How the slow upstream streams: like a model writing 20 tokens at 40 per second. */
export const SLOW = { chunks: 20, intervalMs: 25 };

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Sequential requests at concurrency 1, one keep-alive connection per target, the targets taken in
 * turn: request i goes to each target before request i+1 goes to any. A stall of the machine (this VM
 * has them every few hundred ms) then lands on all targets alike instead of on whichever was being
 * measured at the time, so "gateway minus direct" compares like with like.
 * Returns, per target, its sorted latencies in ms (to the first body byte when `firstByte`) and, when
 * the target names a `header`, that response header's values as numbers, sorted.
 */
export async function interleaved(targets, { n, warmup = 50 }) {
  const pools = targets.map((t) => new Pool(t.origin, { connections: 1 }));
  const out = targets.map(() => []);
  const headerValues = targets.map(() => []);
  try {
    for (let i = 0; i < n + warmup; i++) {
      for (const [k, t] of targets.entries()) {
        const t0 = process.hrtime.bigint();
        const res = await pools[k].request({
          method: "POST",
          path: t.path,
          headers: t.headers,
          body: t.body,
        });
        let t1;
        if (t.firstByte) {
          for await (const _chunk of res.body) t1 ??= process.hrtime.bigint();
        } else {
          await res.body.arrayBuffer();
          t1 = process.hrtime.bigint();
        }
        if (res.statusCode !== 200)
          throw new Error(`probe of ${t.origin}${t.path} got HTTP ${res.statusCode}`);
        if (i < warmup) continue;
        out[k].push(Number(t1 - t0) / 1e6);
        if (t.header) headerValues[k].push(Number(res.headers[t.header]));
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  const sorted = (a) => a.sort((x, y) => x - y);
  return targets.map((t, k) => ({
    ms: sorted(out[k]),
    header: t.header ? sorted(headerValues[k]) : undefined,
  }));
}

/** CPU time (user + system) a process has used so far, in µs; /proc counts in clock ticks (10 ms). */
export function cpuUs(pid) {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

export function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The benchmark's gateway config: one model in eu and us on the fake upstream's two ports, and a
 * slow-streaming model in eu on a third; master key on.
 */
export function benchConfig({
  euPort,
  usPort,
  slowPort,
  anthropicPort,
  key,
  dbFile,
  databaseUrl,
  spendLogs = true,
}) {
  const slow = slowPort
    ? `  - model_name: gpt-slow
    litellm_params: { model: openai/gpt-bench, api_base: "http://127.0.0.1:${slowPort}/v1", api_key: sk-up-eu, region_name: eu }
`
    : "";
  // The translating leg: Anthropic's wire format, in us by inference_geo (a pinned us customer uses it).
  const claude = anthropicPort
    ? `  - model_name: claude-bench
    litellm_params: { model: anthropic/claude-bench, api_base: "http://127.0.0.1:${anthropicPort}", api_key: sk-ant-bench, inference_geo: us }
`
    : "";
  return `model_list:
  - model_name: gpt-bench
    litellm_params: { model: openai/gpt-bench, api_base: "http://127.0.0.1:${euPort}/v1", api_key: sk-up-eu, region_name: eu }
  - model_name: gpt-bench
    litellm_params: { model: openai/gpt-bench, api_base: "http://127.0.0.1:${usPort}/v1", api_key: sk-up-us, region_name: us }
${slow}${claude}general_settings:
  master_key: ${key}
  database_url: ${databaseUrl ?? `sqlite:${dbFile}`}
${spendLogs ? "" : "  disable_spend_logs: true\n"}
# The response cache is on, opt-in per request (default_off): the miss legs do not use it, the
# cache-hit leg asks for it with {"cache": {"use-cache": true}}.
litellm_settings:
  cache: true
  cache_params: { type: local, mode: default_off }
`;
}
