/**
 * Per-deployment routing state: cooldowns, failure counts, in-flight requests, latency and
 * usage in the current minute. Reads are synchronous and local (hot path); a shared
 * implementation (kv/) mirrors writes between instances and feeds remote ones in.
 */
/**
 * Why a deployment cools: "failures" on Meridian's own judgement (a 429/5xx/reset/timeout with no
 * Retry-After; cooldown_time), which a probe may end early; "upstream" when the upstream named the
 * wait (Retry-After) or the deployment is misconfigured (401/404), which no probe second-guesses.
 */
export type CooldownReason = "failures" | "upstream";

export interface RouterState {
  /** Epoch ms until which the deployment is cooling down; 0 when it is not. */
  cooldownUntil(id: string, now: number): number;
  /** Extends the cooldown; an "upstream" reason sticks until the cooldown is over. */
  startCooldown(id: string, untilMs: number, reason?: CooldownReason): void;
  /** Why it is cooling now; undefined when it is not (or the reason is unknown, e.g. resynced). */
  cooldownReason(id: string, now: number): CooldownReason | undefined;
  /** A probe succeeded: the cooldown ends now, unless the upstream itself asked for it. */
  endCooldown(id: string): void;
  /** Claims the one probe slot of a cooling deployment; false when a probe is already in flight. */
  tryProbe(id: string): boolean;
  endProbe(id: string): void;
  /** Count one failure; returns failures within the last minute including this one. */
  recordFailure(id: string, now: number): number;
  inflight(id: string): number;
  begin(id: string): void;
  end(id: string): void;
  /** Moving average of recent successful latencies, ms; undefined when unknown. */
  latencyMs(id: string): number | undefined;
  recordLatency(id: string, ms: number): void;
  /** Requests and tokens in the current clock minute. */
  usage(id: string, now: number): { requests: number; tokens: number };
  recordUsage(id: string, requests: number, tokens: number, now: number): void;
}

const MINUTE = 60_000;

interface Slot {
  cooldownUntil: number;
  reason: CooldownReason | undefined;
  probing: boolean;
  failures: number[];
  inflight: number;
  latency: number | undefined;
  minute: number;
  requests: number;
  tokens: number;
}

export class LocalRouterState implements RouterState {
  private readonly slots = new Map<string, Slot>();

  /** Weight of the newest latency sample in the moving average. */
  constructor(private readonly latencyAlpha = 0.2) {}

  private slot(id: string): Slot {
    let s = this.slots.get(id);
    if (!s) {
      s = {
        cooldownUntil: 0,
        reason: undefined,
        probing: false,
        failures: [],
        inflight: 0,
        latency: undefined,
        minute: 0,
        requests: 0,
        tokens: 0,
      };
      this.slots.set(id, s);
    }
    return s;
  }

  cooldownUntil(id: string, now: number): number {
    const s = this.slots.get(id);
    if (!s || s.cooldownUntil <= now) return 0;
    return s.cooldownUntil;
  }

  startCooldown(id: string, untilMs: number, reason?: CooldownReason): void {
    const s = this.slot(id);
    if (s.cooldownUntil <= Date.now()) s.reason = reason;
    else if (reason === "upstream" || s.reason === undefined) s.reason = reason ?? s.reason;
    if (untilMs > s.cooldownUntil) s.cooldownUntil = untilMs;
  }

  cooldownReason(id: string, now: number): CooldownReason | undefined {
    const s = this.slots.get(id);
    return s && s.cooldownUntil > now ? s.reason : undefined;
  }

  endCooldown(id: string): void {
    const s = this.slots.get(id);
    if (!s || s.reason === "upstream") return;
    s.cooldownUntil = 0;
    s.reason = undefined;
  }

  tryProbe(id: string): boolean {
    const s = this.slot(id);
    if (s.probing) return false;
    s.probing = true;
    return true;
  }

  endProbe(id: string): void {
    const s = this.slots.get(id);
    if (s) s.probing = false;
  }

  recordFailure(id: string, now: number): number {
    const s = this.slot(id);
    const cutoff = now - MINUTE;
    while (s.failures.length > 0 && s.failures[0] <= cutoff) s.failures.shift();
    s.failures.push(now);
    return s.failures.length;
  }

  inflight(id: string): number {
    return this.slots.get(id)?.inflight ?? 0;
  }

  begin(id: string): void {
    this.slot(id).inflight++;
  }

  end(id: string): void {
    const s = this.slot(id);
    if (s.inflight > 0) s.inflight--;
  }

  latencyMs(id: string): number | undefined {
    return this.slots.get(id)?.latency;
  }

  recordLatency(id: string, ms: number): void {
    const s = this.slot(id);
    s.latency = s.latency === undefined ? ms : s.latency + this.latencyAlpha * (ms - s.latency);
  }

  usage(id: string, now: number): { requests: number; tokens: number } {
    const s = this.slots.get(id);
    if (!s || s.minute !== Math.floor(now / MINUTE)) return { requests: 0, tokens: 0 };
    return { requests: s.requests, tokens: s.tokens };
  }

  recordUsage(id: string, requests: number, tokens: number, now: number): void {
    const s = this.slot(id);
    const minute = Math.floor(now / MINUTE);
    if (s.minute !== minute) {
      s.minute = minute;
      s.requests = 0;
      s.tokens = 0;
    }
    s.requests += requests;
    s.tokens += tokens;
  }
}
