// Latency probes that autocannon's 1 ms resolution cannot give: sequential requests timed in µs.
import { readFileSync } from "node:fs";
import { Pool } from "undici";

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** n sequential requests on one keep-alive connection; returns sorted latencies in ms. */
export async function sequential(origin, { path, headers, body, n, firstByte = false }) {
  const pool = new Pool(origin, { connections: 1 });
  const out = [];
  try {
    for (let i = 0; i < n + 50; i++) {
      const t0 = process.hrtime.bigint();
      const res = await pool.request({ method: "POST", path, headers, body });
      let t1;
      if (firstByte) {
        for await (const _chunk of res.body) {
          t1 ??= process.hrtime.bigint();
        }
      } else {
        await res.body.arrayBuffer();
        t1 = process.hrtime.bigint();
      }
      if (res.statusCode !== 200) throw new Error(`probe got HTTP ${res.statusCode}`);
      if (i >= 50) out.push(Number(t1 - t0) / 1e6); // first 50 warm up
    }
  } finally {
    await pool.close();
  }
  return out.sort((a, b) => a - b);
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

/** The benchmark's gateway config: one model in eu and us on the fake upstream's two ports, master key on. */
export function benchConfig({ euPort, usPort, key, dbFile }) {
  return `model_list:
  - model_name: gpt-bench
    litellm_params: { model: openai/gpt-bench, api_base: "http://127.0.0.1:${euPort}/v1", api_key: sk-up-eu, region_name: eu }
  - model_name: gpt-bench
    litellm_params: { model: openai/gpt-bench, api_base: "http://127.0.0.1:${usPort}/v1", api_key: sk-up-us, region_name: us }
general_settings:
  master_key: ${key}
  database_url: sqlite:${dbFile}
`;
}
