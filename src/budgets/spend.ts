import { type LimitScope, scopeKey } from "../auth/grant.js";
import type { RedisLink } from "../kv/redis.js";
import type { AccessStore, SpendDelta, SpendKind } from "../store/access-types.js";

/** One served request's cost and whom it is charged to. The `spend` branch records requests here. */
export interface SpendRecord {
  keyHash?: string;
  teamId?: string;
  userId?: string;
  endUserId?: string;
  cost: number;
}

export interface LedgerOptions {
  /** Flush to the store (and sync with Redis) at least this often. */
  flushMs: number;
  /** ...or as soon as this many rows have unflushed spend. */
  maxPending?: number;
  redis?: RedisLink;
  /**
   * Write the totals to the store (default). False when the spend log's writer adds them in the same
   * transaction as its records: the ledger then only counts, for budgets and Redis.
   */
  persist?: boolean;
  onError?: (err: unknown, what: string) => void;
}

interface Entry {
  kind: SpendKind;
  id: string;
  /** Budget period (budget_reset_at) the counts belong to. */
  period: string;
  /** Store spend when first seen this period, and what this process charged since. */
  base: number;
  local: number;
  /** Charged here, not yet in the store / not yet in Redis. */
  toStore: number;
  toRedis: number;
  /** The fleet's total from Redis at the last sync (undefined: none yet). */
  remote: number | undefined;
  /** Checked recently: worth refreshing from Redis. */
  seen: number;
}

const INCR = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[2]) end
local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], 3024000)
return v
`;
type Scripted = { meridianSpend(key: string, delta: string, base: string): Promise<string> };

/**
 * Spend per key, team, user and customer. Charges are counted in memory at once (so this process
 * stops a budget the moment it is reached), written to the store in batches (every `flushMs`, or
 * `maxPending` rows), and with Redis added to a fleet-wide counter per row and budget period at the
 * same pace. A budget check reads memory only: the largest of what this process knows —
 * first-seen store spend + own charges, the latest store spend read + own unflushed charges, the
 * fleet counter + own unsynced charges. So instances see each other's spend at most one flush
 * interval late: together they can overspend a budget by what they charge within one interval
 * (plus requests already in flight, whose cost is known only when they end).
 */
export class SpendLedger {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly maxPending: number;
  private pendingRows = 0;

  constructor(
    private readonly store: AccessStore,
    private readonly opts: LedgerOptions,
  ) {
    this.maxPending = opts.maxPending ?? 1_000;
    opts.redis?.cmd.defineCommand("meridianSpend", { numberOfKeys: 1, lua: INCR });
    this.timer = setInterval(() => void this.flush(), opts.flushMs);
    this.timer.unref();
  }

  /** Charge a request's cost to each party it names. */
  recordSpend(r: SpendRecord): void {
    if (!(r.cost > 0)) return;
    if (r.keyHash) this.charge("key", r.keyHash, r.cost);
    if (r.teamId) this.charge("team", r.teamId, r.cost);
    if (r.userId) this.charge("user", r.userId, r.cost);
    if (r.endUserId) this.charge("customer", r.endUserId, r.cost);
    if (this.pendingRows >= this.maxPending) void this.flush();
  }

  /** Best known spend of a scope in its current budget period. */
  spent(s: LimitScope): number {
    const e = this.entry(scopeKey(s), s.kind, s.id, s.period, s.spend);
    e.seen = Date.now();
    let best = Math.max(e.base + e.local, s.spend + e.toStore);
    if (e.remote !== undefined) best = Math.max(best, e.remote + e.toRedis);
    return best;
  }

  private entry(k: string, kind: SpendKind, id: string, period: string, spend: number): Entry {
    let e = this.entries.get(k);
    if (!e || e.period !== period) {
      // first sight, or a reset began a new period: start from what the store says now
      const carry = e ? { toStore: e.toStore } : { toStore: 0 };
      e = { kind, id, period, base: spend, local: 0, toRedis: 0, remote: undefined, seen: 0, ...carry };
      this.entries.set(k, e);
    }
    return e;
  }

  private charge(kind: SpendKind, id: string, cost: number): void {
    const k = `${kind}:${id}`;
    let e = this.entries.get(k);
    // A party never checked here (e.g. a customer without a budget) still has its spend stored.
    if (!e) {
      e = { kind, id, period: "", base: 0, local: 0, toStore: 0, toRedis: 0, remote: undefined, seen: 0 };
      this.entries.set(k, e);
    }
    if (e.toStore === 0) this.pendingRows++;
    e.local += cost;
    e.toStore += cost;
    e.toRedis += cost;
  }

  /** Write unflushed spend to the store and sync with Redis; one at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const deltas: SpendDelta[] = [];
    const taken = new Map<Entry, number>();
    for (const e of this.entries.values())
      if (e.toStore > 0) {
        deltas.push({ kind: e.kind, id: e.id, amount: e.toStore });
        taken.set(e, e.toStore);
      }
    if (deltas.length > 0) {
      try {
        if (this.opts.persist !== false) await this.store.addSpend(deltas);
        for (const [e, amount] of taken) e.toStore -= amount;
        this.pendingRows = [...this.entries.values()].filter((e) => e.toStore > 0).length;
      } catch (err) {
        this.opts.onError?.(err, "spend flush"); // kept; the next flush retries
      }
    }
    if (this.opts.redis) await this.syncRedis(this.opts.redis);
    this.sweep();
  }

  private async syncRedis(redis: RedisLink): Promise<void> {
    const now = Date.now();
    const prefix = `${redis.prefix}meridian:spend:`;
    const cmd = redis.cmd as unknown as Scripted & RedisLink["cmd"];
    const work: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      if (e.seen === 0) {
        // never budget-checked here: nobody reads a fleet counter for it
        e.toRedis = 0;
        continue;
      }
      const key = `${prefix}${e.kind}:${e.id}:${e.period}`;
      const delta = e.toRedis;
      if (delta > 0) {
        work.push(
          cmd.meridianSpend(key, String(delta), String(e.base)).then((v) => {
            e.toRedis -= delta;
            e.remote = Number(v);
          }),
        );
      } else if (now - e.seen < 60_000) {
        work.push(
          cmd.get(key).then((v) => {
            if (v !== null) e.remote = Number(v);
          }),
        );
      }
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) this.opts.onError?.((failed as PromiseRejectedResult).reason, "spend sync");
  }

  /** Entries with nothing pending and not checked for 10 minutes go (memory stays bounded). */
  private sweep(): void {
    const cutoff = Date.now() - 600_000;
    for (const [k, e] of this.entries)
      if (e.toStore === 0 && e.toRedis === 0 && e.seen < cutoff) this.entries.delete(k);
  }

  /** Drain: the last spend reaches the store before the process exits. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
