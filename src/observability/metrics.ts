import type { IncomingHttpHeaders } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Principal } from "../pipeline/types.js";
import type { AttemptRecord } from "../router/attempt.js";
import { type Deployment, publicApiBase } from "../router/deployment.js";
import { isAllowed, type RegionPolicy } from "../router/filters.js";
import type { RouterState } from "../router/state.js";
import type { Usage } from "../wire/usage.js";
import { LITELLM_METRICS, type LiteLLMMetric } from "./litellm-labels.js";
import { Series } from "./series.js";

/** What one finished request tells the metrics (built by the request log from its record). */
export interface MetricsEvent {
  /** Model group, or "(unknown)": never the raw requested model, which a client controls. */
  group: string;
  /** The serving deployment; on a failure, the last one tried (its headers named it too). */
  deployment: Deployment | undefined;
  status: number;
  /** The error code (LiteLLM's exception_class) of a failed request. */
  code: string | undefined;
  ms: number;
  overheadMs: number | undefined;
  attempts: readonly AttemptRecord[];
  policy: RegionPolicy;
  principal: Principal | undefined;
  usage: Usage | undefined;
  cost: number | undefined;
  /** The serving upstream's answer headers (x-ratelimit-remaining-*). */
  upstreamHeaders: IncomingHttpHeaders | undefined;
}

/** Refusals that keep a request in its region, counted by reason (issue: admin page and metrics). */
const REGION_REFUSALS = new Set([
  "no_deployment_in_region",
  "region_capacity_exhausted",
  "policy_unavailable",
  "region_conflict",
]);

/** Distinct label sets kept per metric before new ones go to the overflow series. */
export const MAX_SERIES_PER_METRIC = 2000;

const LATENCY_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Prometheus metrics at /metrics: LiteLLM's names and labels (litellm-labels.ts), so its dashboards
 * work, plus Meridian's per-geography series. Labels are bounded: end users are never a label
 * (LiteLLM leaves `end_user` empty by default too), requested models are model groups, and every
 * metric caps its label sets (series.ts).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly byId = new Map<string, Deployment>();
  /** litellm_model_name, model_id, api_base, api_provider of each deployment, built once. */
  private readonly deploymentLabels = new Map<string, readonly string[]>();
  private readonly byGroup = new Map<string, Deployment[]>();
  /** Deployments whose last attempt failed (LiteLLM's "partial outage" until one succeeds). */
  private readonly lastFailed = new Set<string>();
  private readonly s: { [K in LiteLLMMetric]: Series<Counter<string> | Gauge<string> | Histogram<string>> };
  private readonly served: Series<Counter<string>>;
  private readonly refusals: Series<Counter<string>>;
  private readonly prevented: Series<Counter<string>>;
  private readonly requests: Series<Counter<string>>;
  private readonly overhead: Histogram<string>;
  private readonly preventedMemo = new Map<string, readonly string[]>();

  constructor(
    deployments: readonly Deployment[] = [],
    private readonly state?: RouterState,
  ) {
    collectDefaultMetrics({ register: this.registry });
    for (const d of deployments) {
      this.byId.set(d.id, d);
      this.deploymentLabels.set(d.id, [
        litellmModelName(d),
        d.id,
        publicApiBase(d.apiBase) ?? "",
        d.provider,
      ]);
      const list = this.byGroup.get(d.modelGroup) ?? [];
      list.push(d);
      this.byGroup.set(d.modelGroup, list);
    }
    const reg = [this.registry];
    const make = (name: LiteLLMMetric) => {
      const labelNames = [...LITELLM_METRICS[name]];
      const help = `LiteLLM-compatible: ${name}`;
      const m = name.endsWith("_total")
        ? new Counter({ name, help, labelNames, registers: reg })
        : name === "litellm_deployment_state" || name.startsWith("litellm_remaining_")
          ? new Gauge({ name, help, labelNames, registers: reg, ...this.stateCollector(name) })
          : new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: reg });
      return new Series(m, labelNames.length, MAX_SERIES_PER_METRIC);
    };
    this.s = Object.fromEntries(
      (Object.keys(LITELLM_METRICS) as LiteLLMMetric[]).map((n) => [n, make(n)]),
    ) as Metrics["s"];
    const counter = (name: string, help: string, labelNames: string[]) =>
      new Series(
        new Counter({ name, help, labelNames, registers: reg }),
        labelNames.length,
        MAX_SERIES_PER_METRIC,
      );
    this.requests = counter(
      "meridian_requests_total",
      "Proxied requests by model group, serving (or last tried) deployment, its region and HTTP status",
      ["model_group", "deployment", "region", "status"],
    );
    this.served = counter(
      "meridian_requests_served_by_geography_total",
      "Requests answered by a deployment, by the geography it processes data in",
      ["model_group", "geography"],
    );
    this.refusals = counter(
      "meridian_region_refusals_total",
      "Requests refused to keep them in their region, by reason (no upstream call was made)",
      ["model_group", "reason"],
    );
    this.prevented = counter(
      "meridian_cross_region_attempts_prevented_total",
      "Deployments the region filter kept out of a region-restricted request, by their geography",
      ["model_group", "geography"],
    );
    this.overhead = new Histogram({
      name: "meridian_overhead_duration_seconds",
      help: "Time spent in the gateway itself (total minus upstream)",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers: reg,
    });
  }

  /** litellm_deployment_state is read at scrape time from the router's own state. */
  private stateCollector(name: LiteLLMMetric) {
    if (name !== "litellm_deployment_state") return {};
    const labels = this.deploymentLabels;
    const stateOf = (id: string, now: number) => this.deploymentState(id, now);
    return {
      collect(this: Gauge<string>) {
        const now = Date.now();
        for (const [id, l] of labels) this.labels(...l).set(stateOf(id, now));
      },
    };
  }

  /** LiteLLM's deployment state: 0 healthy, 1 partial outage (last call failed), 2 cooling down. */
  deploymentState(id: string, now: number): 0 | 1 | 2 {
    if (this.state && this.state.cooldownUntil(id, now) > now) return 2;
    return this.lastFailed.has(id) ? 1 : 0;
  }

  /** The per-geography counters as rows (the admin page's traffic view). */
  async geographyCounts(): Promise<{
    served: { model_group: string; geography: string; requests: number }[];
    refusals: { model_group: string; reason: string; requests: number }[];
  }> {
    const served = (await this.served.metric.get()).values.map((v) => ({
      model_group: String(v.labels.model_group),
      geography: String(v.labels.geography),
      requests: v.value,
    }));
    const refusals = (await this.refusals.metric.get()).values.map((v) => ({
      model_group: String(v.labels.model_group),
      reason: String(v.labels.reason),
      requests: v.value,
    }));
    return { served, refusals };
  }

  observe(e: MetricsEvent): void {
    const d = e.deployment;
    const status = String(e.status);
    const p = e.principal;
    const key = [p?.keyHash ?? "", p?.keyAlias ?? "", p?.teamId ?? "", p?.teamAlias ?? ""];
    const caller = ["", ...key, p?.userId ?? ""];
    const model = d ? litellmModelName(d) : "";
    const s = this.s;
    this.requests.of([e.group, d?.id ?? "none", d?.geography ?? "none", status]).inc();
    (s.litellm_proxy_total_requests_metric_total.of([...caller, e.group, status]) as Counter).inc();
    (s.litellm_requests_metric_total.of([...caller, model]) as Counter).inc();
    const latency = [...caller, e.group, model];
    (s.litellm_request_total_latency_metric.of(latency) as Histogram).observe(e.ms / 1000);
    if (e.overheadMs !== undefined) {
      (s.litellm_overhead_latency_metric.of(latency) as Histogram).observe(e.overheadMs / 1000);
      this.overhead.observe(e.overheadMs / 1000);
    }
    if (e.status >= 400) {
      const f = [...caller, e.group, status, e.code ?? ""];
      (s.litellm_proxy_failed_requests_metric_total.of(f) as Counter).inc();
      if (e.code && REGION_REFUSALS.has(e.code)) this.refusals.of([e.group, e.code]).inc();
    } else if (d) {
      this.served.of([e.group, d.geography ?? "unassigned"]).inc();
    }
    for (const a of e.attempts) this.attempt(a, e.group, key, caller);
    if (e.usage && d) {
      const t = latency;
      (s.litellm_input_tokens_metric_total.of(t) as Counter).inc(e.usage.prompt);
      (s.litellm_output_tokens_metric_total.of(t) as Counter).inc(e.usage.completion);
      (s.litellm_total_tokens_metric_total.of(t) as Counter).inc(e.usage.total);
    }
    if (e.cost !== undefined && e.cost > 0)
      (s.litellm_spend_metric_total.of([...caller, model]) as Counter).inc(e.cost);
    if (d && e.upstreamHeaders) this.remaining(d, e.upstreamHeaders, key);
    if (e.policy.allowed !== null) {
      for (const geo of this.excluded(e.group, e.policy)) this.prevented.of([e.group, geo]).inc();
    }
  }

  private attempt(a: AttemptRecord, group: string, key: string[], caller: string[]): void {
    const d = this.byId.get(a.deploymentId);
    const dl = this.deploymentLabels.get(a.deploymentId);
    if (!d || !dl) return;
    const labels = [group, ...dl, ...key];
    const s = this.s;
    (s.litellm_deployment_total_requests_total.of(labels) as Counter).inc();
    (
      s.litellm_llm_api_latency_metric.of([
        litellmModelName(d),
        ...key,
        group,
        "",
        caller[5] ?? "",
      ]) as Histogram
    ).observe(a.ms / 1000);
    if (a.status >= 200 && a.status < 400) {
      (s.litellm_deployment_success_responses_total.of(labels) as Counter).inc();
      this.lastFailed.delete(d.id);
    } else {
      const f = [...labels, String(a.status), a.code ?? ""];
      (s.litellm_deployment_failure_responses_total.of(f) as Counter).inc();
      this.lastFailed.add(d.id);
    }
  }

  private remaining(d: Deployment, h: IncomingHttpHeaders, key: string[]): void {
    const labels = [
      d.modelGroup,
      d.provider,
      this.deploymentLabels.get(d.id)?.[2] ?? "",
      litellmModelName(d),
      key[0] ?? "",
      key[1] ?? "",
    ];
    const req = Number(h["x-ratelimit-remaining-requests"]);
    const tok = Number(h["x-ratelimit-remaining-tokens"]);
    if (h["x-ratelimit-remaining-requests"] !== undefined && Number.isFinite(req))
      (this.s.litellm_remaining_requests_metric.of(labels) as Gauge).set(req);
    if (h["x-ratelimit-remaining-tokens"] !== undefined && Number.isFinite(tok))
      (this.s.litellm_remaining_tokens_metric.of(labels) as Gauge).set(tok);
  }

  /** Geographies of the group's deployments the policy keeps out (memoised per group and policy). */
  private excluded(group: string, policy: RegionPolicy): readonly string[] {
    const memo = `${group}\u0000${policy.key}`;
    let out = this.preventedMemo.get(memo);
    if (!out) {
      out = (this.byGroup.get(group) ?? [])
        .filter((d) => !isAllowed(d, policy))
        .map((d) => d.geography ?? "unassigned");
      if (this.preventedMemo.size < MAX_SERIES_PER_METRIC) this.preventedMemo.set(memo, out);
    }
    return out;
  }
}

/** LiteLLM's `litellm_model_name` / `model`: the provider-prefixed model as configured. */
function litellmModelName(d: Deployment): string {
  return `${d.provider}/${d.upstreamModel}`;
}
