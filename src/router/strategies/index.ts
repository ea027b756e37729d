import type { RoutingStrategy } from "../../config/normalize.js";
import type { Deployment } from "../deployment.js";
import type { RouterState } from "../state.js";

export interface PickContext {
  state: RouterState;
  now: number;
  /** Tokens the request is estimated to use (usage-based routing). */
  estimatedTokens: number;
  latencyBufferFraction: number;
  random: () => number;
}

/** Choose one of `candidates` (never empty, already region-filtered and not cooling down). */
export type Strategy = (candidates: readonly Deployment[], ctx: PickContext) => Deployment | undefined;

export function weightedShuffle(candidates: readonly Deployment[], ctx: PickContext): Deployment {
  if (candidates.length === 1) return candidates[0];
  // LiteLLM: weight, else rpm, else tpm; deployments without any share equally.
  const key: "weight" | "rpm" | "tpm" | undefined = candidates.some((d) => d.weight !== undefined)
    ? "weight"
    : candidates.some((d) => d.rpm !== undefined)
      ? "rpm"
      : candidates.some((d) => d.tpm !== undefined)
        ? "tpm"
        : undefined;
  if (!key) return candidates[Math.floor(ctx.random() * candidates.length)];
  let total = 0;
  for (const d of candidates) total += d[key] ?? 0;
  if (total <= 0) return candidates[Math.floor(ctx.random() * candidates.length)];
  let r = ctx.random() * total;
  for (const d of candidates) {
    r -= d[key] ?? 0;
    if (r < 0) return d;
  }
  return candidates[candidates.length - 1];
}

function randomOf(list: readonly Deployment[], ctx: PickContext): Deployment {
  return list[Math.floor(ctx.random() * list.length)];
}

/** Lowest `order` first; higher orders only when every lower one is unavailable (already excluded). */
export const orderStrategy: Strategy = (candidates, ctx) => {
  let best = Number.POSITIVE_INFINITY;
  for (const d of candidates) best = Math.min(best, d.order ?? Number.MAX_SAFE_INTEGER);
  const top = candidates.filter((d) => (d.order ?? Number.MAX_SAFE_INTEGER) === best);
  return weightedShuffle(top, ctx);
};

export const leastBusy: Strategy = (candidates, ctx) => {
  let min = Number.POSITIVE_INFINITY;
  for (const d of candidates) min = Math.min(min, ctx.state.inflight(d.id));
  return randomOf(
    candidates.filter((d) => ctx.state.inflight(d.id) === min),
    ctx,
  );
};

/** Lowest recent latency, sharing load among those within the buffer; unknown latency is tried first. */
export const latencyBased: Strategy = (candidates, ctx) => {
  const unknown = candidates.filter((d) => ctx.state.latencyMs(d.id) === undefined);
  if (unknown.length > 0) return randomOf(unknown, ctx);
  let min = Number.POSITIVE_INFINITY;
  for (const d of candidates) min = Math.min(min, ctx.state.latencyMs(d.id) as number);
  const limit = min * (1 + ctx.latencyBufferFraction);
  return randomOf(
    candidates.filter((d) => (ctx.state.latencyMs(d.id) as number) <= limit),
    ctx,
  );
};

/** Skip deployments that would exceed their rpm/tpm this minute; pick the least used of the rest. */
export const usageBased: Strategy = (candidates, ctx) => {
  let best: Deployment | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const d of candidates) {
    const u = ctx.state.usage(d.id, ctx.now);
    if (d.rpm !== undefined && u.requests + 1 > d.rpm) continue;
    if (d.tpm !== undefined && u.tokens + ctx.estimatedTokens > d.tpm) continue;
    const score = d.tpm ? u.tokens / d.tpm : d.rpm ? u.requests / d.rpm : u.tokens;
    if (score < bestScore || (score === bestScore && ctx.random() < 0.5)) {
      best = d;
      bestScore = score;
    }
  }
  return best;
};

export const STRATEGIES: Readonly<Record<RoutingStrategy, Strategy>> = {
  "simple-shuffle": weightedShuffle,
  order: orderStrategy,
  "least-busy": leastBusy,
  "latency-based-routing": latencyBased,
  "usage-based-routing-v2": usageBased,
};
