/**
 * Per-request cost of routing (Router.available, which runs the region filter, plus pick), in µs.
 * A plain timing loop, run once by hand: `npx vite-node bench/routing-cost.ts`. Not a test.
 */
import type { RoutingStrategy } from "../src/config/normalize.js";
import type { RegionPolicy } from "../src/router/filters.js";
import { Router } from "../src/router/router.js";
import { LocalRouterState } from "../src/router/state.js";
import { dep, routerConfig } from "../test/router-fixtures.js";

const N = 1_000_000;
const deployments = [
  dep("eu-1", "eu", { rpm: 600 }),
  dep("eu-2", "eu", { rpm: 300 }),
  dep("us-1", "us", { rpm: 600 }),
  dep("us-2", "us", { rpm: 300 }),
  dep("uk-1", "uk"),
];
const EU: RegionPolicy = { allowed: "eu", source: "customer", endUserId: "c" };
const OPEN: RegionPolicy = { allowed: null, source: "none", endUserId: undefined };
const NONE = new Set<string>();

function measure(strategy: RoutingStrategy, policy: RegionPolicy): number {
  const r = new Router({ deployments, router: routerConfig({ strategy }) }, new LocalRouterState());
  for (const d of deployments) r.state.recordLatency(d.id, 100 + d.id.length);
  let sink = 0;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const now = Date.now();
      const av = r.available("m", policy, now, NONE);
      if (av.kind === "ok") sink += r.pick(av.candidates, now, 50)?.id.length ?? 0;
    }
  };
  run(100_000); // warm up the JIT
  const t = process.hrtime.bigint();
  run(N);
  const ns = Number(process.hrtime.bigint() - t);
  if (sink === 0) throw new Error("nothing picked");
  return ns / N / 1000;
}

for (const s of [
  "simple-shuffle",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing-v2",
  "order",
] as const) {
  console.log(
    `${s.padEnd(24)} eu-pinned ${measure(s, EU).toFixed(3)} µs   unrestricted ${measure(s, OPEN).toFixed(3)} µs`,
  );
}
