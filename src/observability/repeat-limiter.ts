/**
 * Caps how often one kind of log line (same message, same error code) is written. An outage makes
 * every request fail the same way: a 22 s store outage once wrote 17,002 error lines with stacks.
 * Per kind and window: the first `burst` lines pass ("first" carries the stack, "again" does not),
 * the rest are counted and reported in one summary line when the window ends. While the flood
 * lasts, each later window gives only its summary; a window with no repeats forgets the kind.
 */
export type Verdict = "first" | "again" | "drop";

export interface RepeatLimiterOptions {
  burst: number;
  windowMs: number;
  /** Distinct kinds tracked at once; beyond, new kinds share one slot (a flood of unique messages). */
  maxKinds: number;
  /** Runs a function once after `ms`; must not keep the process alive. */
  schedule?: (fn: () => void, ms: number) => void;
}

interface Kind {
  written: number;
  dropped: number;
  /** Writes the summary for this kind, set by the latest caller. */
  summarize: (dropped: number, windowMs: number) => void;
}

const OVERFLOW = "\u0000other";

export class RepeatLimiter {
  private readonly kinds = new Map<string, Kind>();
  private readonly schedule: (fn: () => void, ms: number) => void;

  constructor(private readonly o: RepeatLimiterOptions) {
    this.schedule = o.schedule ?? ((fn, ms) => setTimeout(fn, ms).unref());
  }

  /** How to write the next line of `key`; `summarize` is kept to report what is dropped. */
  admit(key: string, summarize: Kind["summarize"]): Verdict {
    let k = this.kinds.get(key);
    if (!k && this.kinds.size >= this.o.maxKinds) {
      key = OVERFLOW;
      k = this.kinds.get(key);
    }
    if (!k) {
      k = { written: 0, dropped: 0, summarize };
      this.kinds.set(key, k);
      this.schedule(() => this.endWindow(key), this.o.windowMs);
    }
    k.summarize = summarize;
    if (k.written < this.o.burst) {
      k.written++;
      return k.written === 1 ? "first" : "again";
    }
    k.dropped++;
    return "drop";
  }

  private endWindow(key: string): void {
    const k = this.kinds.get(key);
    if (!k) return;
    if (k.dropped === 0) {
      this.kinds.delete(key);
      return;
    }
    k.summarize(k.dropped, this.o.windowMs);
    // still flooding: the next window writes only its summary
    k.dropped = 0;
    k.written = this.o.burst;
    this.schedule(() => this.endWindow(key), this.o.windowMs);
  }
}
