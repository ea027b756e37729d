import type { LimitScope } from "../auth/grant.js";
import type { RedisLink } from "../kv/redis.js";
import {
  type Admission,
  type LimitKind,
  LocalRateCounters,
  limited,
  minuteOf,
  type RateCounters,
  type RateUse,
  secondsToNextMinute,
  successHeaders,
} from "./rate.js";

/**
 * Check every scope, then count in all of them, in one atomic step: two instances cannot both take
 * the last request of a minute. Per scope three keys (requests and tokens of this minute, in
 * flight); ARGV per scope: rpm, tpm, parallel (-1 = no limit). Returns {failed scope index, kind
 * (1 requests, 2 tokens, 3 parallel)} or {-1, 0, requests, tokens, ...}.
 */
const ADMIT = `
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  for j = 1, 3 do
    local lim = tonumber(ARGV[1 + i * 3 + j])
    if lim >= 0 then
      local c = tonumber(redis.call('GET', KEYS[i * 3 + j]) or '0')
      if c >= lim then return {i, j} end
    end
  end
end
local out = {-1, 0}
for i = 0, n - 1 do
  local r = redis.call('INCR', KEYS[i * 3 + 1])
  redis.call('EXPIRE', KEYS[i * 3 + 1], 120)
  redis.call('INCR', KEYS[i * 3 + 3])
  redis.call('EXPIRE', KEYS[i * 3 + 3], 600)
  out[#out + 1] = r
  out[#out + 1] = tonumber(redis.call('GET', KEYS[i * 3 + 2]) or '0')
end
return out
`;

const KINDS: LimitKind[] = ["requests", "tokens", "parallel"];

type Scripted = { meridianAdmit(...args: Array<string | number>): Promise<number[]> };

/**
 * Counters shared by every instance through Redis. While Redis cannot be reached, each instance
 * limits on its own counters (a limit then holds per instance, not fleet-wide) rather than refusing
 * all traffic or none.
 */
export class RedisRateCounters implements RateCounters {
  private readonly local = new LocalRateCounters();
  private readonly prefix: string;

  constructor(private readonly redis: RedisLink) {
    this.prefix = `${redis.prefix}meridian:rl:`;
    redis.cmd.defineCommand("meridianAdmit", { lua: ADMIT });
  }

  private keys(s: LimitScope, minute: number): string[] {
    const base = `${this.prefix}${s.kind}:${s.id}`;
    return [`${base}:rq:${minute}`, `${base}:tk:${minute}`, `${base}:par`];
  }

  async admit(scopes: readonly LimitScope[], nowMs: number): Promise<Admission> {
    const minute = minuteOf(nowMs);
    const ls = scopes.filter(limited);
    if (ls.length === 0) return { ok: true, headers: {} };
    const keys = ls.flatMap((s) => this.keys(s, minute));
    const args = ls.flatMap((s) => [s.rpm ?? -1, s.tpm ?? -1, s.parallel ?? -1]);
    let r: number[];
    try {
      r = await (this.redis.cmd as unknown as Scripted).meridianAdmit(
        keys.length,
        ...keys,
        ls.length,
        ...args,
      );
    } catch {
      return this.local.admit(scopes, nowMs);
    }
    if (r[0] >= 0) {
      const s = ls[r[0]];
      const kind = KINDS[r[1] - 1];
      const limit = (kind === "requests" ? s.rpm : kind === "tokens" ? s.tpm : s.parallel) as number;
      return {
        ok: false,
        scope: s,
        kind,
        limit,
        retryAfterS: kind === "parallel" ? 1 : secondsToNextMinute(nowMs),
      };
    }
    const headers: Record<string, string> = {};
    for (const [i, s] of ls.entries()) successHeaders(headers, s, Number(r[2 + i * 2]), Number(r[3 + i * 2]));
    return { ok: true, headers };
  }

  release(scopes: readonly LimitScope[]): void {
    const ls = scopes.filter(limited);
    if (ls.length === 0) return;
    const m = this.redis.cmd.multi();
    for (const s of ls) m.decr(this.keys(s, 0)[2]);
    m.exec().catch(() => this.local.release(scopes));
  }

  async peek(scopes: readonly LimitScope[], nowMs: number): Promise<RateUse[]> {
    if (scopes.length === 0) return [];
    const minute = minuteOf(nowMs);
    try {
      const v = await this.redis.cmd.mget(...scopes.flatMap((s) => this.keys(s, minute)));
      return scopes.map((_, i) => ({
        requests: Number(v[i * 3] ?? 0),
        tokens: Number(v[i * 3 + 1] ?? 0),
        parallel: Number(v[i * 3 + 2] ?? 0),
      }));
    } catch {
      return this.local.peek(scopes, nowMs);
    }
  }

  addTokens(scopes: readonly LimitScope[], tokens: number, nowMs: number): void {
    const ls = scopes.filter(limited);
    if (ls.length === 0 || tokens <= 0) return;
    const minute = minuteOf(nowMs);
    const m = this.redis.cmd.multi();
    for (const s of ls) {
      const k = this.keys(s, minute)[1];
      m.incrby(k, tokens);
      m.expire(k, 120);
    }
    m.exec().catch(() => this.local.addTokens(scopes, tokens, nowMs));
  }
}
