// npm run bench — Meridian against a direct baseline, loopback only, bounded in time.
// Starts the fake upstream (own process) and the built gateway (own process, production mode,
// master key on, a customer pinned to eu), then measures throughput (autocannon, 50 connections),
// added latency at concurrency 1, streaming time to first byte, RSS under load and across runs,
// and cold start. Prints a table and writes bench/results/latest.json.
import { fork, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { benchConfig, cpuUs, interleaved, percentile, rssMb, SLOW } from "./measure.mjs";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const DURATION = Number(args.get("duration") ?? 10);
const CONNECTIONS = Number(args.get("connections") ?? 50);
const RUNS = Number(args.get("runs") ?? 5);
const PROBES = Number(args.get("probes") ?? 2000);
const COLD_STARTS = Number(args.get("cold-starts") ?? 5);
const SLOW_CONNECTIONS = Number(args.get("slow-streams") ?? 1000);
// Spend-log A/B: the accounting stage's record writing on (the main gateway) vs off (a twin with
// disable_spend_logs), CPU per request, alternating rounds in the same run. --spend-ab=0 skips it.
const SPEND_AB_ROUNDS = Number(args.get("spend-ab") ?? 5);
// --spend-ab-db=postgres://…: the twins store in Postgres (a schema each, dropped after) instead of
// SQLite files: the gateway's side of a Postgres insert is the cost measured.
const SPEND_AB_DB = args.get("spend-ab-db");
const root = fileURLToPath(new URL("..", import.meta.url));
const KEY = "sk-bench-1234";
const UP_EU = 18101;
const UP_US = 18102;
const GW = 18100;
const BARE = 18103;
const UP_SLOW = 18104;
const UP_ANTHROPIC = 18105;
const GW_NO_SPEND = 18106;
const GW_SPEND = 18107;

const dir = mkdtempSync(join(tmpdir(), "meridian-bench-"));
const configFile = join(dir, "bench.yaml");
writeFileSync(
  configFile,
  benchConfig({
    euPort: UP_EU,
    usPort: UP_US,
    slowPort: UP_SLOW,
    anthropicPort: UP_ANTHROPIC,
    key: KEY,
    dbFile: join(dir, "bench.db"),
  }),
);

const chatBody = JSON.stringify({
  model: "gpt-bench",
  messages: [{ role: "user", content: "hello" }],
  user: "bench-eu",
});
const streamBody = JSON.stringify({
  model: "gpt-bench",
  messages: [{ role: "user", content: "hello" }],
  user: "bench-eu",
  stream: true,
});
// The cache-hit leg: the same request, opted in to the response cache (after one miss, every
// request is a hit for the pinned customer's policy).
const hitBody = JSON.stringify({
  model: "gpt-bench",
  messages: [{ role: "user", content: "hello" }],
  user: "bench-eu",
  cache: { "use-cache": true },
});
const directBody = JSON.stringify({ model: "gpt-bench", messages: [{ role: "user", content: "hello" }] });
const directStream = JSON.stringify({
  model: "gpt-bench",
  messages: [{ role: "user", content: "hello" }],
  stream: true,
});
// The translating leg: the same stream through anthropic/ (Anthropic's wire format in, OpenAI chunks out).
const claudeStream = JSON.stringify({
  model: "claude-bench",
  messages: [{ role: "user", content: "hello" }],
  user: "bench-us",
  stream: true,
});
const anthropicDirect = JSON.stringify({
  model: "claude-bench",
  max_tokens: 4096,
  messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
  stream: true,
});
const anthropicHeaders = {
  "content-type": "application/json",
  "x-api-key": "sk-ant-bench",
  "anthropic-version": "2023-06-01",
};
const gwHeaders = { "content-type": "application/json", authorization: `Bearer ${KEY}` };
const upHeaders = { "content-type": "application/json", authorization: "Bearer sk-up-eu" };

const children = [];
const cleanup = () => {
  for (const c of children) c.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

function cannon(url, body, headers, connections, duration, extra = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method: "POST", body, headers, connections, duration, pipelining: 1, ...extra },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
  });
}

/** A load run, and the CPU µs per request each process spent on it (autocannon runs in this one). */
async function measuredCannon(url, body, headers, pids) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuUs(pid)]));
  const r = await cannon(url, body, headers, CONNECTIONS, DURATION);
  const n = Math.max(1, r.requests.total);
  r.cpuUsPerRequest = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, Math.round((cpuUs(pid) - before[k]) / n)]),
  );
  return r;
}

/**
 * Many long streams at once, as a model serves them: SLOW_CONNECTIONS clients, each asking for a
 * stream of SLOW.chunks chunks SLOW.intervalMs apart. Streams per second, whole-stream latency, the
 * proxy's CPU per stream and its RSS meanwhile.
 */
async function slowStreams(url, body, headers, pid) {
  const rss = [];
  const sampler = setInterval(() => rss.push(rssMb(pid)), 200);
  const before = cpuUs(pid);
  const r = await cannon(url, body, headers, SLOW_CONNECTIONS, DURATION, { timeout: 60 });
  clearInterval(sampler);
  return {
    streamsPerS: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    cpuUsPerStream: Math.round((cpuUs(pid) - before) / Math.max(1, r.requests.total)),
    rssMaxMb: +Math.max(...rss.filter(Boolean)).toFixed(1),
  };
}

function startGateway(config = configFile, port = GW) {
  const gw = spawn(
    process.execPath,
    [join(root, "bin/meridian.js"), "--config", config, "--port", String(port), "--host", "127.0.0.1"],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  children.push(gw);
  return gw;
}

function stopGateway(gw) {
  gw.kill("SIGTERM");
  return new Promise((resolve) => gw.once("exit", resolve));
}

async function waitFor(url, timeoutMs) {
  const t0 = performance.now();
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return performance.now() - t0;
    } catch {}
    if (performance.now() - t0 > timeoutMs) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const spendSchema = (on) => `meridian_bench_spend_${on ? "on" : "off"}_${process.pid}`;

function withSchema(url, schema) {
  const u = new URL(url);
  u.searchParams.set("schema", schema);
  return u.toString();
}

async function dropSchemas(url, schemas) {
  const { default: pg } = await import("pg");
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of schemas) await c.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await c.end();
  }
}

async function main() {
  const upstream = fork(
    join(root, "bench/upstream.mjs"),
    [String(UP_EU), String(UP_US), String(UP_SLOW), String(UP_ANTHROPIC)],
    { stdio: "ignore" },
  );
  children.push(upstream);
  await new Promise((resolve) => upstream.once("message", resolve));

  // Cold start: a new process until /health/liveliness answers, as `npm start` runs it (bin/meridian.js,
  // the single-file build). The first start after a build also writes V8's code cache; it is reported
  // apart, the median of the next starts is the figure.
  const starts = [];
  let gw;
  for (let i = 0; i <= COLD_STARTS; i++) {
    const t0 = performance.now();
    gw = startGateway();
    await waitFor(`http://127.0.0.1:${GW}/health/liveliness`, 10_000);
    starts.push(performance.now() - t0);
    // bin/meridian.js writes the code cache a second after the first start listens
    if (i === 0) await new Promise((r) => setTimeout(r, 1_500));
    if (i < COLD_STARTS) await stopGateway(gw);
  }
  const firstStartMs = starts[0];
  const coldStartMs = [...starts.slice(1)].sort((a, b) => a - b)[Math.floor(COLD_STARTS / 2)];

  for (const [user_id, region] of [
    ["bench-eu", "eu"],
    ["bench-us", "us"],
  ]) {
    const created = await fetch(`http://127.0.0.1:${GW}/end_user/new`, {
      method: "POST",
      headers: gwHeaders,
      body: JSON.stringify({ user_id, allowed_model_region: region }),
    });
    if (created.status !== 200) throw new Error(`creating the customer failed: ${created.status}`);
  }
  const check = await fetch(`http://127.0.0.1:${GW}/chat/completions`, {
    method: "POST",
    headers: gwHeaders,
    body: chatBody,
  });
  if (check.headers.get("x-litellm-model-region") !== "eu")
    throw new Error("pinned customer not served in eu");
  for (let i = 0; i < 2; i++) {
    const r = await fetch(`http://127.0.0.1:${GW}/chat/completions`, {
      method: "POST",
      headers: gwHeaders,
      body: hitBody,
    });
    await r.arrayBuffer();
    if (i === 1 && r.headers.get("x-meridian-cache") !== "hit") throw new Error("cache-hit leg: no hit");
  }

  // The virtual-key leg: a key under a team, both with a budget and limits far above what the run
  // uses, so every request passes the key lookup (cached), the allowlist, budgets and rate counters.
  const team = await fetch(`http://127.0.0.1:${GW}/team/new`, {
    method: "POST",
    headers: gwHeaders,
    body: JSON.stringify({
      team_id: "bench-team",
      max_budget: 1e9,
      rpm_limit: 1e9,
      tpm_limit: 1e12,
      max_parallel_requests: 1e6,
    }),
  });
  if (team.status !== 200) throw new Error(`creating the team failed: ${team.status}`);
  const vk = await fetch(`http://127.0.0.1:${GW}/key/generate`, {
    method: "POST",
    headers: gwHeaders,
    body: JSON.stringify({
      team_id: "bench-team",
      max_budget: 1e9,
      rpm_limit: 1e9,
      tpm_limit: 1e12,
      max_parallel_requests: 1e6,
      budget_duration: "30d",
    }),
  });
  if (vk.status !== 200) throw new Error(`creating the virtual key failed: ${vk.status}`);
  const vkHeaders = { "content-type": "application/json", authorization: `Bearer ${(await vk.json()).key}` };
  const vkCheck = await fetch(`http://127.0.0.1:${GW}/chat/completions`, {
    method: "POST",
    headers: vkHeaders,
    body: chatBody,
  });
  if (vkCheck.status !== 200) throw new Error(`the virtual key was refused: ${vkCheck.status}`);

  const bare = fork(
    join(root, "bench/bare-proxy.mjs"),
    [String(BARE), `http://127.0.0.1:${UP_EU}`, `http://127.0.0.1:${UP_SLOW}`],
    { stdio: "ignore" },
  );
  children.push(bare);
  await new Promise((resolve) => bare.once("message", resolve));
  const bareUrl = `http://127.0.0.1:${BARE}/chat/completions`;
  const gwUrl = `http://127.0.0.1:${GW}/chat/completions`;
  const upUrl = `http://127.0.0.1:${UP_EU}/v1/chat/completions`;
  process.stderr.write(
    `cold start ${coldStartMs.toFixed(0)} ms (first ${firstStartMs.toFixed(0)} ms); warming up…\n`,
  );
  await cannon(gwUrl, chatBody, gwHeaders, CONNECTIONS, Math.min(2, DURATION));
  await cannon(gwUrl, chatBody, vkHeaders, CONNECTIONS, Math.min(2, DURATION));
  await cannon(upUrl, directBody, upHeaders, CONNECTIONS, Math.min(2, DURATION));

  // Throughput: gateway and direct, alternating, best of two (runs here vary ±15 %).
  const rssSamples = [];
  const sampler = setInterval(() => rssSamples.push(rssMb(gw.pid)), 200);
  const gwRuns = [];
  const upRuns = [];
  const bareRuns = [];
  const vkRuns = [];
  const hitRuns = [];
  for (let i = 0; i < 2; i++) {
    process.stderr.write(`throughput round ${i + 1}/2 (${DURATION}s each)…\n`);
    const load = { loadGenerator: process.pid, upstream: upstream.pid };
    gwRuns.push(await measuredCannon(gwUrl, chatBody, gwHeaders, { ...load, proxy: gw.pid }));
    vkRuns.push(await measuredCannon(gwUrl, chatBody, vkHeaders, { ...load, proxy: gw.pid }));
    upRuns.push(await measuredCannon(upUrl, directBody, upHeaders, load));
    bareRuns.push(await measuredCannon(bareUrl, directBody, gwHeaders, { ...load, proxy: bare.pid }));
    hitRuns.push(await measuredCannon(gwUrl, hitBody, gwHeaders, { ...load, proxy: gw.pid }));
  }
  clearInterval(sampler);
  const best = (runs) => runs.reduce((a, b) => (b.requests.average > a.requests.average ? b : a));
  const g = best(gwRuns);
  const u = best(upRuns);
  const b = best(bareRuns);
  const v = best(vkRuns);
  const hit = best(hitRuns);
  const errors = [...gwRuns, ...vkRuns].reduce((n, r) => n + r.errors + r.non2xx, 0);

  process.stderr.write("latency at concurrency 1…\n");
  const gwProbe = { origin: `http://127.0.0.1:${GW}`, path: "/chat/completions", headers: gwHeaders };
  const upProbe = { origin: `http://127.0.0.1:${UP_EU}`, path: "/v1/chat/completions", headers: upHeaders };
  const [gProbe, uProbe, bProbe] = await interleaved(
    [
      // the gateway's own time in each answer: request parsed to response handed to node
      { ...gwProbe, body: chatBody, header: "x-litellm-overhead-duration-ms" },
      { ...upProbe, body: directBody },
      { origin: `http://127.0.0.1:${BARE}`, path: "/chat/completions", headers: gwHeaders, body: directBody },
    ],
    { n: PROBES },
  );
  const [gLat, uLat, bLat] = [gProbe.ms, uProbe.ms, bProbe.ms];
  const ownMs = gProbe.header;
  // Passthrough and translated streams in one interleaved run, each beside its own direct baseline.
  const anthropicProbe = { origin: `http://127.0.0.1:${UP_ANTHROPIC}`, path: "/v1/messages" };
  const [gTtfb, uTtfb, tTtfb, aTtfb] = (
    await interleaved(
      [
        { ...gwProbe, body: streamBody, firstByte: true },
        { ...upProbe, body: directStream, firstByte: true },
        { ...gwProbe, body: claudeStream, firstByte: true },
        { ...anthropicProbe, headers: anthropicHeaders, body: anthropicDirect, firstByte: true },
      ],
      { n: PROBES / 2 },
    )
  ).map((r) => r.ms);

  // CPU per stream at 50 connections: the same gateway, a passthrough stream and a translated one.
  process.stderr.write(`streams, passthrough and translated (${DURATION}s each)…\n`);
  const streamLoad = { loadGenerator: process.pid, upstream: upstream.pid, proxy: gw.pid };
  const passStreams = await measuredCannon(gwUrl, streamBody, gwHeaders, streamLoad);
  const transStreams = await measuredCannon(gwUrl, claudeStream, gwHeaders, streamLoad);

  // Memory across repeated runs: RSS after each short load run must not climb.
  const rssAfterRuns = [];
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`memory run ${i + 1}/${RUNS}…\n`);
    await cannon(gwUrl, chatBody, gwHeaders, CONNECTIONS, Math.min(3, DURATION));
    await new Promise((r) => setTimeout(r, 500));
    rssAfterRuns.push(rssMb(gw.pid));
  }

  let slow;
  if (SLOW_CONNECTIONS > 0) {
    process.stderr.write(`${SLOW_CONNECTIONS} slow streams at once…\n`);
    const slowBody = (user) =>
      JSON.stringify({
        model: "gpt-slow",
        messages: [{ role: "user", content: "hello" }],
        stream: true,
        user,
      });
    slow = {
      connections: SLOW_CONNECTIONS,
      chunks: SLOW.chunks,
      chunkIntervalMs: SLOW.intervalMs,
      gateway: await slowStreams(gwUrl, slowBody("bench-eu"), gwHeaders, gw.pid),
      bareProxy: await slowStreams(bareUrl, slowBody(undefined), gwHeaders, bare.pid),
    };
  }

  let spendAB;
  if (SPEND_AB_ROUNDS > 0) {
    // Two twins started together, identical but for disable_spend_logs: the main gateway has been
    // through every leg above (its heap and database are not a fresh one's), so it is not the "on".
    const twin = async (port, spendLogs) => {
      const file = join(dir, `bench-spend-${spendLogs ? "on" : "off"}.yaml`);
      writeFileSync(
        file,
        benchConfig({
          euPort: UP_EU,
          usPort: UP_US,
          key: KEY,
          dbFile: join(dir, `bench-spend-${spendLogs ? "on" : "off"}.db`),
          databaseUrl: SPEND_AB_DB && withSchema(SPEND_AB_DB, spendSchema(spendLogs)),
          spendLogs,
        }),
      );
      const g = startGateway(file, port);
      await waitFor(`http://127.0.0.1:${port}/health/liveliness`, 10_000);
      const base = `http://127.0.0.1:${port}`;
      await fetch(`${base}/end_user/new`, {
        method: "POST",
        headers: gwHeaders,
        body: JSON.stringify({ user_id: "bench-eu", allowed_model_region: "eu" }),
      });
      await cannon(`${base}/chat/completions`, chatBody, gwHeaders, CONNECTIONS, Math.min(4, DURATION));
      return { g, url: `${base}/chat/completions` };
    };
    const onTwin = await twin(GW_SPEND, true);
    const offTwin = await twin(GW_NO_SPEND, false);
    const off = offTwin.g;
    const on = [];
    const offRuns = [];
    for (let i = 0; i < SPEND_AB_ROUNDS; i++) {
      process.stderr.write(`spend log on/off round ${i + 1}/${SPEND_AB_ROUNDS}…\n`);
      const load = { loadGenerator: process.pid, upstream: upstream.pid };
      const measureOn = () =>
        measuredCannon(onTwin.url, chatBody, gwHeaders, { ...load, proxy: onTwin.g.pid });
      const measureOff = () => measuredCannon(offTwin.url, chatBody, gwHeaders, { ...load, proxy: off.pid });
      // on-off, then off-on: neither is always the one measured second
      if (i % 2 === 0) {
        on.push(await measureOn());
        offRuns.push(await measureOff());
      } else {
        offRuns.push(await measureOff());
        on.push(await measureOn());
      }
    }
    await stopGateway(onTwin.g);
    await stopGateway(off);
    if (SPEND_AB_DB) await dropSchemas(SPEND_AB_DB, [spendSchema(true), spendSchema(false)]);
    const median = (runs) => {
      const v = runs.map((r) => r.cpuUsPerRequest.proxy).sort((a, b) => a - b);
      const m = Math.floor(v.length / 2);
      return v.length % 2 ? v[m] : Math.round((v[m - 1] + v[m]) / 2);
    };
    // The ratio is the median of each round's on/off pair (measured one after the other): this box's
    // speed drifts by more than the difference sought between rounds a minute apart, less within one.
    const pairs = on.map((r, i) => r.cpuUsPerRequest.proxy / Math.max(1, offRuns[i].cpuUsPerRequest.proxy));
    const mid = [...pairs].sort((a, b) => a - b);
    const m = Math.floor(mid.length / 2);
    spendAB = {
      rounds: SPEND_AB_ROUNDS,
      cpuUsPerRequestOn: median(on),
      cpuUsPerRequestOff: median(offRuns),
      database: SPEND_AB_DB ? "postgres" : "sqlite",
      ratio: +(mid.length % 2 ? mid[m] : (mid[m - 1] + mid[m]) / 2).toFixed(3),
      roundRatios: pairs.map((p) => +p.toFixed(3)),
      rpsOn: Math.round(Math.max(...on.map((r) => r.requests.average))),
      rpsOff: Math.round(Math.max(...offRuns.map((r) => r.requests.average))),
    };
  }

  const p = (a, q) => percentile(a, q);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30) },
    settings: {
      connections: CONNECTIONS,
      durationS: DURATION,
      probes: PROBES,
      memoryRuns: RUNS,
      path: "POST /chat/completions, master key on, customer pinned to eu (2 deployments: eu, us)",
      gateway: "bin/meridian.js, one process, NODE_ENV=production, logs at info to /dev/null",
    },
    throughput: {
      gatewayRps: Math.round(g.requests.average),
      directRps: Math.round(u.requests.average),
      ratio: +(g.requests.average / u.requests.average).toFixed(3),
      gatewayP50Ms: g.latency.p50,
      gatewayP99Ms: g.latency.p99,
      directP50Ms: u.latency.p50,
      directP99Ms: u.latency.p99,
      gatewayErrors: errors,
      bareProxyRps: Math.round(b.requests.average),
      ratioToBareProxy: +(g.requests.average / b.requests.average).toFixed(3),
    },
    // The response cache answering every request (same gateway, same rounds as the miss leg above).
    cacheHit: {
      gatewayRps: Math.round(hit.requests.average),
      ratioToMiss: +(hit.requests.average / g.requests.average).toFixed(3),
      p50Ms: hit.latency.p50,
      p99Ms: hit.latency.p99,
      cpuUsPerRequest: hit.cpuUsPerRequest.proxy,
      missCpuUsPerRequest: g.cpuUsPerRequest.proxy,
      upstreamCpuUsPerRequest: hit.cpuUsPerRequest.upstream,
      errors: hitRuns.reduce((n, r) => n + r.errors + r.non2xx, 0),
    },
    // CPU per request on this machine's 2 cores, from the best runs above: what each process costs.
    // accounting stage with spend-log records on (the gateway above) vs off, alternating, same run
    spendLogAB: spendAB ?? null,
    cpuUsPerRequest: {
      gateway: g.cpuUsPerRequest.proxy,
      bareProxy: b.cpuUsPerRequest.proxy,
      loadGenerator: g.cpuUsPerRequest.loadGenerator,
      upstream: g.cpuUsPerRequest.upstream,
      // 10,000 rps on all the machine's cores leaves this much per request for the gateway, once the
      // load generator and the upstream (same machine) have had theirs.
      gatewayBudgetFor10kRps: Math.round(
        (cpus().length * 1e6) / 10_000 - g.cpuUsPerRequest.loadGenerator - g.cpuUsPerRequest.upstream,
      ),
    },
    // Same run, same process: the master-key leg above against a virtual key under a team with a
    // budget and rpm/tpm/parallel limits (issue 14: within 10 % CPU per request).
    virtualKey: {
      rps: Math.round(v.requests.average),
      cpuUsPerRequest: v.cpuUsPerRequest.proxy,
      masterKeyCpuUsPerRequest: g.cpuUsPerRequest.proxy,
      cpuRatioToMasterKey: +(v.cpuUsPerRequest.proxy / g.cpuUsPerRequest.proxy).toFixed(3),
    },
    concurrency1: {
      gatewayP50Ms: +p(gLat, 50).toFixed(3),
      gatewayP99Ms: +p(gLat, 99).toFixed(3),
      directP50Ms: +p(uLat, 50).toFixed(3),
      directP99Ms: +p(uLat, 99).toFixed(3),
      addedP50Ms: +(p(gLat, 50) - p(uLat, 50)).toFixed(3),
      addedP99Ms: +(p(gLat, 99) - p(uLat, 99)).toFixed(3),
      bareProxyAddedP50Ms: +(p(bLat, 50) - p(uLat, 50)).toFixed(3),
      bareProxyAddedP99Ms: +(p(bLat, 99) - p(uLat, 99)).toFixed(3),
      gatewayOwnP50Ms: +p(ownMs, 50).toFixed(3),
      gatewayOwnP99Ms: +p(ownMs, 99).toFixed(3),
      method: "interleaved: gateway, direct and bare proxy take turns, one request each",
    },
    streaming: {
      gatewayTtfbP50Ms: +p(gTtfb, 50).toFixed(3),
      directTtfbP50Ms: +p(uTtfb, 50).toFixed(3),
      addedTtfbP50Ms: +(p(gTtfb, 50) - p(uTtfb, 50)).toFixed(3),
      passthroughCpuUsPerStream: passStreams.cpuUsPerRequest.proxy,
      passthroughStreamsPerS: Math.round(passStreams.requests.average),
      passthroughErrors: passStreams.errors + passStreams.non2xx,
    },
    // anthropic/ (Messages API events translated to OpenAI chunks, event by event) beside the above.
    translatedStreaming: {
      gatewayTtfbP50Ms: +p(tTtfb, 50).toFixed(3),
      directTtfbP50Ms: +p(aTtfb, 50).toFixed(3),
      addedTtfbP50Ms: +(p(tTtfb, 50) - p(aTtfb, 50)).toFixed(3),
      cpuUsPerStream: transStreams.cpuUsPerRequest.proxy,
      streamsPerS: Math.round(transStreams.requests.average),
      errors: transStreams.errors + transStreams.non2xx,
    },
    memory: {
      rssUnderLoadMaxMb: +Math.max(...rssSamples.filter(Boolean)).toFixed(1),
      rssAfterRunsMb: rssAfterRuns.map((x) => +x.toFixed(1)),
      growthFirstToLastMb: +(rssAfterRuns[rssAfterRuns.length - 1] - rssAfterRuns[0]).toFixed(1),
    },
    slowStreams: slow,
    coldStartMs: +coldStartMs.toFixed(1),
    coldStarts: {
      entry: "bin/meridian.js (single-file build, V8 code cache)",
      firstAfterBuildMs: +firstStartMs.toFixed(1),
      nextMs: starts.slice(1).map((x) => +x.toFixed(1)),
    },
  };
  const targets = [
    ["gateway RPS ≥ 10,000", result.throughput.gatewayRps >= 10_000],
    ["gateway/direct ≥ 20 %", result.throughput.ratio >= 0.2],
    ["added p50 ≤ 0.25 ms (c=1)", result.concurrency1.addedP50Ms <= 0.25],
    ["added p99 ≤ 1 ms (c=1)", result.concurrency1.addedP99Ms <= 1],
    ["stream TTFB added ≤ 0.5 ms p50", result.streaming.addedTtfbP50Ms <= 0.5],
    ["RSS < 150 MB under load", result.memory.rssUnderLoadMaxMb < 150],
    ["RSS flat across runs (< 10 MB growth)", result.memory.growthFirstToLastMb < 10],
    ["cold start < 300 ms", result.coldStartMs < 300],
    ["virtual key CPU/request within 10 % of master key", result.virtualKey.cpuRatioToMasterKey <= 1.1],
    [
      "no errors under load",
      errors === 0 &&
        (slow?.gateway.errors ?? 0) === 0 &&
        result.streaming.passthroughErrors === 0 &&
        result.translatedStreaming.errors === 0,
    ],
    ...(spendAB ? [["spend log on: CPU/request within 10 % of off", spendAB.ratio <= 1.1]] : []),
  ];
  result.targets = Object.fromEntries(targets);

  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/latest.json"), `${JSON.stringify(result, null, 2)}\n`);

  const rows = [
    [
      "throughput (50 conn)",
      `${result.throughput.gatewayRps} rps`,
      `${result.throughput.directRps} rps`,
      `${(result.throughput.ratio * 100).toFixed(1)} % of direct`,
    ],
    [
      "bare node:http+undici proxy (50 conn)",
      `${result.throughput.bareProxyRps} rps`,
      "",
      `gateway = ${(result.throughput.ratioToBareProxy * 100).toFixed(1)} % of it`,
    ],
    [
      "bare proxy added p50 / p99 (c=1)",
      `+${result.concurrency1.bareProxyAddedP50Ms} / +${result.concurrency1.bareProxyAddedP99Ms} ms`,
      "",
      "",
    ],
    [
      "CPU µs per request (50 conn)",
      `${result.cpuUsPerRequest.gateway} µs`,
      "",
      `bare proxy ${result.cpuUsPerRequest.bareProxy} µs`,
    ],
    ...(result.spendLogAB
      ? [
          [
            "CPU µs/request spend log on / off",
            `${result.spendLogAB.cpuUsPerRequestOn} / ${result.spendLogAB.cpuUsPerRequestOff} µs`,
            "",
            `x${result.spendLogAB.ratio} median of rounds ${result.spendLogAB.roundRatios.join(" ")} (target ≤ 1.10)`,
          ],
        ]
      : []),
    [
      "virtual key + team, budgets, limits",
      `${result.virtualKey.rps} rps, ${result.virtualKey.cpuUsPerRequest} µs`,
      "",
      `${(result.virtualKey.cpuRatioToMasterKey * 100).toFixed(1)} % of master-key CPU`,
    ],
    [
      "  load generator + upstream",
      `${result.cpuUsPerRequest.loadGenerator} + ${result.cpuUsPerRequest.upstream} µs`,
      "",
      `10k rps leaves gateway ${result.cpuUsPerRequest.gatewayBudgetFor10kRps} µs`,
    ],
    [
      "cache hit (50 conn)",
      `${result.cacheHit.gatewayRps} rps, ${result.cacheHit.cpuUsPerRequest} µs CPU`,
      "",
      `miss ${result.throughput.gatewayRps} rps, ${result.cacheHit.missCpuUsPerRequest} µs`,
    ],
    [
      "latency p50 / p99 (50 conn)",
      `${g.latency.p50} / ${g.latency.p99} ms`,
      `${u.latency.p50} / ${u.latency.p99} ms`,
      "",
    ],
    [
      "gateway's own time p50 / p99 (c=1)",
      `${result.concurrency1.gatewayOwnP50Ms} / ${result.concurrency1.gatewayOwnP99Ms} ms`,
      "",
      "x-litellm-overhead-duration-ms",
    ],
    [
      "latency p50 (c=1)",
      `${result.concurrency1.gatewayP50Ms} ms`,
      `${result.concurrency1.directP50Ms} ms`,
      `+${result.concurrency1.addedP50Ms} ms`,
    ],
    [
      "latency p99 (c=1)",
      `${result.concurrency1.gatewayP99Ms} ms`,
      `${result.concurrency1.directP99Ms} ms`,
      `+${result.concurrency1.addedP99Ms} ms`,
    ],
    [
      "stream TTFB p50 (c=1)",
      `${result.streaming.gatewayTtfbP50Ms} ms`,
      `${result.streaming.directTtfbP50Ms} ms`,
      `+${result.streaming.addedTtfbP50Ms} ms`,
    ],
    [
      "translated stream TTFB p50 (anthropic/)",
      `${result.translatedStreaming.gatewayTtfbP50Ms} ms`,
      `${result.translatedStreaming.directTtfbP50Ms} ms`,
      `+${result.translatedStreaming.addedTtfbP50Ms} ms`,
    ],
    [
      "CPU µs per stream (50 conn)",
      `translated ${result.translatedStreaming.cpuUsPerStream} µs`,
      "",
      `passthrough ${result.streaming.passthroughCpuUsPerStream} µs`,
    ],
    ["RSS max under load", `${result.memory.rssUnderLoadMaxMb} MB`, "", ""],
    ...(slow
      ? [
          [
            `${slow.connections} slow streams (${slow.chunks} × ${slow.chunkIntervalMs} ms)`,
            `${slow.gateway.streamsPerS}/s, p50 ${slow.gateway.p50Ms} ms`,
            "",
            `bare ${slow.bareProxy.streamsPerS}/s, p50 ${slow.bareProxy.p50Ms} ms`,
          ],
          [
            "  CPU per stream, RSS max",
            `${slow.gateway.cpuUsPerStream} µs, ${slow.gateway.rssMaxMb} MB`,
            "",
            `bare ${slow.bareProxy.cpuUsPerStream} µs, ${slow.bareProxy.rssMaxMb} MB`,
          ],
        ]
      : []),
    [
      `RSS after ${RUNS} runs`,
      `${result.memory.rssAfterRunsMb.join(", ")} MB`,
      "",
      `${result.memory.growthFirstToLastMb >= 0 ? "+" : ""}${result.memory.growthFirstToLastMb} MB`,
    ],
    [
      "cold start to liveliness (median)",
      `${result.coldStartMs} ms`,
      "",
      `first after build ${result.coldStarts.firstAfterBuildMs} ms`,
    ],
  ];
  const w = [38, 36, 16, 28];
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(w[i])).join(" | ")} |`;
  console.log(`\nMeridian benchmark — ${result.node}, ${result.machine.cpus} × ${result.machine.cpu}\n`);
  console.log(line(["measure", "gateway", "direct", "added / ratio"]));
  console.log(line(w.map((n) => "-".repeat(n))));
  for (const r of rows) console.log(line(r));
  console.log("\nTargets:");
  for (const [name, ok] of targets) console.log(`  ${ok ? "PASS" : "MISS"}  ${name}`);
  console.log("\nwrote bench/results/latest.json");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
  },
);
