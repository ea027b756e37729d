import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { Deployment } from "../router/deployment.js";

/** Prometheus metrics, served at /metrics. Labels are bounded: model group, deployment, region, status class. */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private readonly overhead: Histogram;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: "meridian_requests_total",
      help: "Proxied requests by model group, serving deployment, region and HTTP status",
      labelNames: ["model_group", "deployment", "region", "status"],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: "meridian_request_duration_seconds",
      help: "Total request duration",
      labelNames: ["model_group"],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.overhead = new Histogram({
      name: "meridian_overhead_duration_seconds",
      help: "Time spent in the gateway itself (total minus upstream)",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers: [this.registry],
    });
  }

  /** Labelled children, resolved once per label set: prom-client hashes label objects on every call. */
  private readonly children = new Map<
    string,
    { count: { inc(): void }; latency: { observe(v: number): void } }
  >();

  observe(
    group: string,
    d: Deployment | undefined,
    status: number,
    ms: number,
    overheadMs: number | undefined,
  ): void {
    const id = d?.id ?? "none";
    const key = `${group}\u0000${id}\u0000${status}`;
    let c = this.children.get(key);
    if (!c) {
      c = {
        count: this.requests.labels(group, id, d?.geography ?? "none", String(status)),
        latency: this.latency.labels(group),
      };
      this.children.set(key, c);
    }
    c.count.inc();
    c.latency.observe(ms / 1000);
    if (overheadMs !== undefined) this.overhead.observe(overheadMs / 1000);
  }
}
