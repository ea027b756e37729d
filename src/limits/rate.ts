import { type LimitScope, scopeKey } from "../auth/grant.js";

export type LimitKind = "requests" | "tokens" | "parallel";

export type Admission =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; scope: LimitScope; kind: LimitKind; limit: number; retryAfterS: number };

/**
 * rpm / tpm per fixed minute window and requests in flight, per key, team and user. `admit` checks
 * every scope and counts the request only when all pass (atomically, for the Redis version).
 */
export interface RateCounters {
  admit(scopes: readonly LimitScope[], nowMs: number): Admission | Promise<Admission>;
  /** The request is over: its parallel slot is free. */
  release(scopes: readonly LimitScope[]): void;
  /** Tokens a finished request used, counted in the minute it ended. */
  addTokens(scopes: readonly LimitScope[], tokens: number, nowMs: number): void;
  /** What each scope has used this minute and has in flight (POST /route/explain); counts nothing. */
  peek(scopes: readonly LimitScope[], nowMs: number): RateUse[] | Promise<RateUse[]>;
}

export interface RateUse {
  requests: number;
  tokens: number;
  parallel: number;
}

/** The refusal one scope gives a new request, given its use now; undefined when it admits. */
export function refusalOf(
  s: LimitScope,
  use: RateUse,
  nowMs: number,
): Extract<Admission, { ok: false }> | undefined {
  if (s.rpm !== null && use.requests >= s.rpm)
    return { ok: false, scope: s, kind: "requests", limit: s.rpm, retryAfterS: secondsToNextMinute(nowMs) };
  if (s.tpm !== null && use.tokens >= s.tpm)
    return { ok: false, scope: s, kind: "tokens", limit: s.tpm, retryAfterS: secondsToNextMinute(nowMs) };
  if (s.parallel !== null && use.parallel >= s.parallel)
    return { ok: false, scope: s, kind: "parallel", limit: s.parallel, retryAfterS: 1 };
  return undefined;
}

export const minuteOf = (nowMs: number) => Math.floor(nowMs / 60_000);
export const secondsToNextMinute = (nowMs: number) =>
  Math.max(1, Math.ceil((60_000 - (nowMs % 60_000)) / 1000));

export function limited(s: LimitScope): boolean {
  return s.rpm !== null || s.tpm !== null || s.parallel !== null;
}

/** LiteLLM's success headers: x-ratelimit-{scope}-{remaining|limit}-{requests|tokens}. */
export function successHeaders(
  out: Record<string, string>,
  s: LimitScope,
  requests: number,
  tokens: number,
): void {
  const n = HEADER_NAMES[s.scope];
  if (s.rpm !== null) {
    out[n.limitRequests] = String(s.rpm);
    out[n.remainingRequests] = String(Math.max(0, s.rpm - requests));
  }
  if (s.tpm !== null) {
    out[n.limitTokens] = String(s.tpm);
    out[n.remainingTokens] = String(Math.max(0, s.tpm - tokens));
  }
}

// The header names, made once: built per request they were new strings to hash on every answer.
const HEADER_NAMES = Object.fromEntries(
  (["api_key", "team", "user", "customer"] as const).map((scope) => [
    scope,
    {
      limitRequests: `x-ratelimit-${scope}-limit-requests`,
      remainingRequests: `x-ratelimit-${scope}-remaining-requests`,
      limitTokens: `x-ratelimit-${scope}-limit-tokens`,
      remainingTokens: `x-ratelimit-${scope}-remaining-tokens`,
    },
  ]),
) as Record<
  LimitScope["scope"],
  Record<"limitRequests" | "remainingRequests" | "limitTokens" | "remainingTokens", string>
>;

interface Window {
  minute: number;
  requests: number;
  tokens: number;
  parallel: number;
}

/** One process's counters (no Redis, or while Redis is unreachable). */
export class LocalRateCounters implements RateCounters {
  private readonly windows = new Map<string, Window>();

  private win(s: LimitScope, minute: number): Window {
    const k = scopeKey(s);
    let w = this.windows.get(k);
    if (!w) {
      if (this.windows.size >= 100_000) this.sweep(minute);
      w = { minute, requests: 0, tokens: 0, parallel: 0 };
      this.windows.set(k, w);
    } else if (w.minute !== minute) {
      w.minute = minute;
      w.requests = 0;
      w.tokens = 0;
    }
    return w;
  }

  admit(scopes: readonly LimitScope[], nowMs: number): Admission {
    const minute = minuteOf(nowMs);
    for (const s of scopes) {
      if (!limited(s)) continue;
      const refused = refusalOf(s, this.win(s, minute), nowMs);
      if (refused) return refused;
    }
    const headers: Record<string, string> = {};
    for (const s of scopes) {
      if (!limited(s)) continue;
      const w = this.win(s, minute);
      w.requests++;
      w.parallel++;
      successHeaders(headers, s, w.requests, w.tokens);
    }
    return { ok: true, headers };
  }

  release(scopes: readonly LimitScope[]): void {
    for (const s of scopes) {
      const w = this.windows.get(scopeKey(s));
      if (w && w.parallel > 0) w.parallel--;
    }
  }

  addTokens(scopes: readonly LimitScope[], tokens: number, nowMs: number): void {
    const minute = minuteOf(nowMs);
    for (const s of scopes) if (limited(s)) this.win(s, minute).tokens += tokens;
  }

  peek(scopes: readonly LimitScope[], nowMs: number): RateUse[] {
    const minute = minuteOf(nowMs);
    return scopes.map((s) => {
      const w = this.windows.get(scopeKey(s));
      if (!w) return { requests: 0, tokens: 0, parallel: 0 };
      return w.minute === minute ? { ...w } : { requests: 0, tokens: 0, parallel: w.parallel };
    });
  }

  /** Bound memory: windows of past minutes with nothing in flight go. */
  private sweep(minute: number): void {
    for (const [k, w] of this.windows) if (w.minute !== minute && w.parallel === 0) this.windows.delete(k);
  }
}
