import type { RouterConfig } from "../src/config/normalize.js";
import type { Geography } from "../src/regions/table.js";
import type { Deployment } from "../src/router/deployment.js";

/** Deterministic PRNG (mulberry32) so distribution tests are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deployment for unit tests; only what routing reads matters. */
export function dep(
  id: string,
  geography: Geography | undefined,
  extra: Partial<Deployment> = {},
): Deployment {
  return {
    id,
    modelGroup: "m",
    provider: "openai",
    upstreamModel: "m",
    apiBase: `http://${id}.invalid/v1`,
    apiKey: undefined,
    apiVersion: undefined,
    regionName: geography,
    geography,
    regionSource: geography ? "region_name" : "unassigned",
    rpm: undefined,
    tpm: undefined,
    weight: undefined,
    order: undefined,
    timeoutMs: 600_000,
    streamTimeoutMs: 600_000,
    maxRetries: undefined,
    mockResponse: undefined,
    mode: undefined,
    inputCostPerToken: undefined,
    outputCostPerToken: undefined,
    extraHeaders: {},
    ...extra,
  } as Deployment;
}

/** Router settings with LiteLLM-proxy defaults; override what a test is about. */
export function routerConfig(extra: Partial<RouterConfig> = {}): RouterConfig {
  return {
    strategy: "simple-shuffle",
    numRetries: 2,
    retryAfterMs: 0,
    allowedFails: 3,
    cooldownMs: 5_000,
    disableCooldowns: false,
    timeoutMs: 600_000,
    streamTimeoutMs: 600_000,
    fallbacks: new Map(),
    defaultFallbacks: [],
    contextWindowFallbacks: new Map(),
    contentPolicyFallbacks: new Map(),
    retryPolicy: {},
    aliases: new Map(),
    latencyBufferFraction: 0.1,
    ...extra,
  };
}

/** How often each id was picked, as shares of `n`. */
export function shares(n: number, pick: () => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = pick();
    counts[id] = (counts[id] ?? 0) + 1;
  }
  for (const k in counts) counts[k] /= n;
  return counts;
}
