import type { Counter, Gauge, Histogram } from "prom-client";

/** The overflow label value: every label set past a metric's cap is counted under it. */
export const OVERFLOW = "__overflow__";

type Metric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * Labelled children of one metric, resolved once per label set (prom-client hashes the label object
 * on every call otherwise) and capped: past `max` distinct label sets, new ones are counted under a
 * single all-`__overflow__` series, so a flood of new keys or models cannot grow /metrics without
 * bound.
 */
export class Series<M extends Metric> {
  private readonly children = new Map<string, ReturnType<M["labels"]>>();
  private overflow: ReturnType<M["labels"]> | undefined;

  constructor(
    readonly metric: M,
    private readonly width: number,
    private readonly max: number,
  ) {}

  of(values: readonly string[]): ReturnType<M["labels"]> {
    const key = values.join("\u0000");
    let c = this.children.get(key);
    if (c) return c;
    if (this.children.size >= this.max) {
      this.overflow ??= this.metric.labels(...Array(this.width).fill(OVERFLOW)) as ReturnType<M["labels"]>;
      return this.overflow;
    }
    c = this.metric.labels(...values) as ReturnType<M["labels"]>;
    this.children.set(key, c);
    return c;
  }

  get size(): number {
    return this.children.size + (this.overflow ? 1 : 0);
  }
}
