import { type Behavior, BROKEN_BODIES, type FakeUpstream } from "../../src/demo/fake-upstream.js";
import { type Answer, type Call, pool, send } from "./client.js";
import { classify, marker } from "./ledger.js";
import type { Rng } from "./rng.js";
import { MASTER } from "./world.js";

/** What can go wrong at an upstream, each as the fake upstream's behaviour. */
export const UPSTREAM_FAULTS: ReadonlyArray<readonly [string, Behavior]> = [
  ["500", { status: 500 }],
  ["503", { status: 503 }],
  ["429 + Retry-After", { retryAfterSeconds: 1 }],
  ["hang", { hang: true }],
  ["reset", { reset: true }],
  ["mid-stream cut", { cutAfterChunks: 2 }],
  ["slow (300 ms)", { delayMs: 300 }],
  ...BROKEN_BODIES.map((k) => [`200 ${k}`, { broken: k }] as const),
];

/** Queue `n` seeded behaviours on each upstream: a fault with probability `p`, else a healthy answer. */
export function scheduleFaults(upstreams: Record<string, FakeUpstream>, rng: Rng, n: number, p: number) {
  const planned: Record<string, number> = {};
  for (const u of Object.values(upstreams))
    for (let i = 0; i < n; i++) {
      if (!rng.chance(p)) {
        u.next({});
        continue;
      }
      const [name, b] = rng.pick(UPSTREAM_FAULTS);
      planned[name] = (planned[name] ?? 0) + 1;
      u.next(b);
    }
  return planned;
}

export function chatCall(customer: string, stream: boolean, tag = "", timeoutMs = 15_000): Call {
  return {
    path: "/v1/chat/completions",
    headers: MASTER,
    timeoutMs,
    body: {
      model: "chat",
      stream,
      user: customer,
      messages: [{ role: "user", content: `${marker(customer, tag)} say hello` }],
    },
  };
}

export interface Shot {
  customer: string;
  stream: boolean;
  url: string;
}

/** `n` seeded requests over `urls` and `customers`, half streaming. */
export function plan(rng: Rng, n: number, urls: readonly string[], customers: readonly string[]): Shot[] {
  return Array.from({ length: n }, () => ({
    customer: rng.pick(customers),
    stream: rng.chance(0.5),
    url: rng.pick(urls),
  }));
}

export async function fire(shots: readonly Shot[], concurrency: number, tag = ""): Promise<string[]> {
  return pool(shots, concurrency, async (s) =>
    classify(await send(s.url, chatCall(s.customer, s.stream, tag)), s.stream),
  );
}

export async function admin(url: string, path: string, body: unknown): Promise<Answer> {
  return send(url, { path, body, headers: MASTER, timeoutMs: 8_000 });
}
