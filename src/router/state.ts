/**
 * Per-deployment routing state: cooldowns, failure counts, in-flight requests, latency and
 * usage in the current minute. Reads are synchronous and local (hot path); a shared
 * implementation (kv/) mirrors writes between instances and feeds remote ones in.
 */
export interface RouterState {
  /** Epoch ms until which the deployment is cooling down; 0 when it is not. */
  cooldownUntil(id: string, now: number): number;
  startCooldown(id: string, untilMs: number): void;
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

  startCooldown(id: string, untilMs: number): void {
    const s = this.slot(id);
    if (untilMs > s.cooldownUntil) s.cooldownUntil = untilMs;
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
