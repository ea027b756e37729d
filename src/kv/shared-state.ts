import { type CooldownReason, LocalRouterState, type RouterState } from "../router/state.js";
import type { RedisLink } from "./redis.js";

const MINUTE = 60_000;
const COOLDOWN_CHANNEL = "meridian:cooldown";

export interface SharedStateOptions {
  /** How often local deltas go to Redis and shared totals come back, ms. */
  flushIntervalMs?: number;
  /** Latency samples kept per deployment in Redis. */
  latencyWindow?: number;
  /** Deployments to resync cooldowns for on (re)connect; more are learnt as they are used. */
  deploymentIds?: readonly string[];
}

interface Usage {
  id: string;
  minute: number;
  requests: number;
  tokens: number;
}

/**
 * RouterState shared by every instance through Redis, without putting Redis on the hot path:
 * reads are answered from memory, synchronously; writes apply locally at once and travel out.
 *
 * - cooldowns: `deployment:{id}:cooldown` with a PX TTL (LiteLLM's key shape) plus a pub/sub
 *   message, so other instances stop using the deployment immediately, not at their next poll;
 * - rpm/tpm: per-minute INCRBY counters (with expiry), flushed in batches; the read-back totals
 *   (everyone's) plus this instance's not-yet-flushed deltas answer `usage()`;
 * - in-flight: each instance writes its own counts into one hash with a timestamp; stale fields
 *   (a crashed instance) are ignored and removed;
 * - latency: recent samples per deployment in a capped list; the shared mean answers `latencyMs()`.
 * Failure counts stay local: the cooldown they trigger is what gets shared.
 *
 * When Redis is down every write still lands locally and reads fall back to it; deltas wait and
 * are added when it comes back, and cooldowns are resynced both ways on reconnect.
 */
export class SharedRouterState implements RouterState {
  private readonly local = new LocalRouterState();
  private readonly interval: number;
  private readonly window: number;
  private readonly watched = new Set<string>();
  private readonly myCooldowns = new Map<string, number>();
  private pending = new Map<string, Usage>();
  private sending = new Map<string, Usage>();
  private remoteUsage = new Map<string, Usage>();
  private othersInflight = new Map<string, number>();
  private readonly samples = new Map<string, number[]>();
  private readonly remoteLatency = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    opts: SharedStateOptions = {},
  ) {
    this.interval = opts.flushIntervalMs ?? 100;
    this.window = opts.latencyWindow ?? 20;
    for (const id of opts.deploymentIds ?? []) this.watched.add(id);
    link.sub.on("message", (ch: string, payload: string) => {
      if (ch === link.prefix + COOLDOWN_CHANNEL) this.onCooldownMessage(payload);
    });
    link.sub.subscribe(link.prefix + COOLDOWN_CHANNEL).catch(() => undefined);
    link.onReady(() => void this.resyncCooldowns());
    if (link.up) void this.resyncCooldowns();
    this.timer = setInterval(() => void this.flush(), this.interval);
    this.timer.unref();
  }

  // ---- reads: memory only ----

  cooldownUntil(id: string, now: number): number {
    return this.local.cooldownUntil(id, now);
  }

  inflight(id: string): number {
    this.watched.add(id);
    return this.local.inflight(id) + (this.othersInflight.get(id) ?? 0);
  }

  latencyMs(id: string): number | undefined {
    this.watched.add(id);
    return this.remoteLatency.get(id) ?? this.local.latencyMs(id);
  }

  usage(id: string, now: number): { requests: number; tokens: number } {
    this.watched.add(id);
    const minute = Math.floor(now / MINUTE);
    const key = `${id}|${minute}`;
    let requests = 0;
    let tokens = 0;
    for (const u of [this.remoteUsage.get(id), this.sending.get(key), this.pending.get(key)]) {
      if (u && u.minute === minute) {
        requests += u.requests;
        tokens += u.tokens;
      }
    }
    return { requests, tokens };
  }

  // ---- writes: local now, Redis soon ----

  startCooldown(id: string, untilMs: number, reason?: CooldownReason): void {
    this.local.startCooldown(id, untilMs, reason);
    const now = Date.now();
    const until = this.local.cooldownUntil(id, now);
    if (until === 0) return;
    this.myCooldowns.set(id, until);
    this.pushCooldown(id, until, this.local.cooldownReason(id, now));
  }

  cooldownReason(id: string, now: number): CooldownReason | undefined {
    return this.local.cooldownReason(id, now);
  }

  /** A probe here succeeded: every instance stops cooling it (unless its upstream asked them to). */
  endCooldown(id: string): void {
    this.local.endCooldown(id);
    if (this.local.cooldownUntil(id, Date.now()) !== 0) return;
    this.myCooldowns.delete(id);
    if (this.link.cmd.status !== "ready") return;
    this.link.cmd
      .multi()
      .del(this.key(id, "cooldown"))
      .publish(this.link.prefix + COOLDOWN_CHANNEL, `${this.link.instanceId}\n${id}\n0\nclear`)
      .exec()
      .catch(() => undefined);
  }

  /** Probe slots are per instance: at most one probe per cooling deployment per instance. */
  tryProbe(id: string): boolean {
    return this.local.tryProbe(id);
  }

  endProbe(id: string): void {
    this.local.endProbe(id);
  }

  recordFailure(id: string, now: number): number {
    return this.local.recordFailure(id, now);
  }

  begin(id: string): void {
    this.watched.add(id);
    this.local.begin(id);
  }

  end(id: string): void {
    this.local.end(id);
  }

  recordLatency(id: string, ms: number): void {
    this.watched.add(id);
    this.local.recordLatency(id, ms);
    const list = this.samples.get(id);
    if (list) {
      list.push(ms);
      if (list.length > this.window) list.shift();
    } else this.samples.set(id, [ms]);
  }

  recordUsage(id: string, requests: number, tokens: number, now: number): void {
    this.watched.add(id);
    this.local.recordUsage(id, requests, tokens, now);
    const minute = Math.floor(now / MINUTE);
    const key = `${id}|${minute}`;
    const u = this.pending.get(key);
    if (u) {
      u.requests += requests;
      u.tokens += tokens;
    } else this.pending.set(key, { id, minute, requests, tokens });
  }

  // ---- propagation ----

  private key(id: string, what: string): string {
    return `${this.link.prefix}deployment:${id}:${what}`;
  }

  private pushCooldown(id: string, until: number, reason: CooldownReason | undefined): void {
    const ms = until - Date.now();
    if (ms <= 0 || this.link.cmd.status !== "ready") return;
    // Relative time on the wire: instances' clocks need not agree. Older instances read 3 fields.
    const msg = `${this.link.instanceId}\n${id}\n${ms}\n${reason ?? ""}`;
    this.link.cmd
      .multi()
      .set(this.key(id, "cooldown"), String(ms), "PX", ms)
      .publish(this.link.prefix + COOLDOWN_CHANNEL, msg)
      .exec()
      .catch(() => undefined);
  }

  private onCooldownMessage(payload: string): void {
    const [from, id, ms, reason] = payload.split("\n");
    if (from === this.link.instanceId || id === undefined) return;
    const n = Number(ms);
    if (reason === "clear") this.local.endCooldown(id);
    else if (n > 0) this.local.startCooldown(id, Date.now() + n, reasonOf(reason));
  }

  /** After a (re)connect: publish what we cooled while away, learn what others cooled. */
  private async resyncCooldowns(): Promise<void> {
    const now = Date.now();
    for (const [id, until] of this.myCooldowns) {
      if (until > now) this.pushCooldown(id, until, this.local.cooldownReason(id, now));
      else this.myCooldowns.delete(id);
    }
    const ids = [...this.watched];
    if (ids.length === 0) return;
    try {
      const p = this.link.cmd.pipeline();
      for (const id of ids) p.pttl(this.key(id, "cooldown"));
      const res = (await p.exec()) ?? [];
      const at = Date.now();
      res.forEach(([err, ttl], i) => {
        if (!err && typeof ttl === "number" && ttl > 0) this.local.startCooldown(ids[i], at + ttl);
      });
    } catch {
      // still down: the next ready event retries
    }
  }

  /** Send pending deltas and read back shared totals. Never throws; a no-op while Redis is down. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.link.cmd.status !== "ready" || this.watched.size === 0) return Promise.resolve();
    this.flushing = this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const now = Date.now();
    const minute = Math.floor(now / MINUTE);
    this.sending = this.pending;
    this.pending = new Map();
    const samples = new Map(this.samples);
    this.samples.clear();
    const ids = [...this.watched];
    const inflightKey = `${this.link.prefix}inflight`;
    const me = this.link.instanceId;
    const p = this.link.cmd.pipeline();
    for (const u of this.sending.values()) {
      const r = this.key(u.id, `rpm:${u.minute}`);
      const t = this.key(u.id, `tpm:${u.minute}`);
      p.incrby(r, u.requests)
        .pexpire(r, 2 * MINUTE)
        .incrby(t, u.tokens)
        .pexpire(t, 2 * MINUTE);
    }
    for (const [id, list] of samples) {
      const k = this.key(id, "latency");
      p.lpush(k, ...list.map(String))
        .ltrim(k, 0, this.window - 1)
        .pexpire(k, 10 * MINUTE);
    }
    const fields: string[] = [];
    for (const id of ids) fields.push(`${me}|${id}`, `${this.local.inflight(id)}|${now}`);
    p.hset(inflightKey, ...fields).pexpire(inflightKey, MINUTE);
    const readFrom = p.length;
    for (const id of ids) p.get(this.key(id, `rpm:${minute}`)).get(this.key(id, `tpm:${minute}`));
    for (const id of ids) p.lrange(this.key(id, "latency"), 0, -1);
    p.hgetall(inflightKey);
    let res: Array<[Error | null, unknown]>;
    try {
      res = ((await p.exec()) ?? []) as Array<[Error | null, unknown]>;
      if (res.some(([err]) => err)) throw new Error("redis pipeline failed");
    } catch {
      // Not sent (or not known to be): keep the deltas for the next flush and the samples too.
      for (const u of this.sending.values()) this.mergeBack(u);
      this.sending = new Map();
      for (const [id, list] of samples) this.samples.set(id, [...list, ...(this.samples.get(id) ?? [])]);
      return;
    }
    const out = res.slice(readFrom).map(([, v]) => v);
    const remote = new Map<string, Usage>();
    ids.forEach((id, i) => {
      const requests = Number(out[2 * i] ?? 0) || 0;
      const tokens = Number(out[2 * i + 1] ?? 0) || 0;
      remote.set(id, { id, minute, requests, tokens });
      const lat = (out[2 * ids.length + i] as string[] | null) ?? [];
      if (lat.length > 0) this.remoteLatency.set(id, lat.reduce((a, s) => a + Number(s), 0) / lat.length);
    });
    this.othersInflight = this.readInflight(out[3 * ids.length] as Record<string, string> | null, now);
    this.remoteUsage = remote;
    this.sending = new Map();
  }

  private mergeBack(u: Usage): void {
    const key = `${u.id}|${u.minute}`;
    const cur = this.pending.get(key);
    if (cur) {
      cur.requests += u.requests;
      cur.tokens += u.tokens;
    } else this.pending.set(key, u);
  }

  /** Sum of other live instances' in-flight counts; fields not refreshed lately are dropped. */
  private readInflight(all: Record<string, string> | null, now: number): Map<string, number> {
    const sums = new Map<string, number>();
    const staleAfter = Math.max(2_000, 20 * this.interval);
    const stale: string[] = [];
    for (const [field, value] of Object.entries(all ?? {})) {
      const bar = field.indexOf("|");
      const [count, at] = value.split("|").map(Number);
      if (now - at > staleAfter) stale.push(field);
      else if (field.slice(0, bar) !== this.link.instanceId) {
        const id = field.slice(bar + 1);
        sums.set(id, (sums.get(id) ?? 0) + count);
      }
    }
    if (stale.length > 0) this.link.cmd.hdel(`${this.link.prefix}inflight`, ...stale).catch(() => undefined);
    return sums;
  }

  /** Final flush, and withdraw this instance's in-flight counts. The link is closed by its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    if (this.link.cmd.status !== "ready") return;
    const mine = [...this.watched].map((id) => `${this.link.instanceId}|${id}`);
    if (mine.length > 0)
      await this.link.cmd.hdel(`${this.link.prefix}inflight`, ...mine).catch(() => undefined);
  }
}

/** A reason from the wire; anything else (an older instance's message) is unknown. */
function reasonOf(s: string | undefined): CooldownReason | undefined {
  return s === "failures" || s === "upstream" ? s : undefined;
}
