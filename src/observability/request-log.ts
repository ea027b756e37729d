import type { IncomingHttpHeaders } from "node:http";
import type { GatewayError } from "../errors.js";
import type { Principal } from "../pipeline/types.js";
import type { AttemptRecord } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Usage } from "../wire/usage.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** Something else told of every record (OpenTelemetry, observability/tracing.ts). */
export interface RecordSink {
  request(r: RequestRecord, op: string | undefined): void;
}

export interface RequestRecord {
  callId: string;
  group: string;
  /** The model the client asked for, when it is not a known group. */
  model?: string;
  policy: RegionPolicy;
  status: number | "error";
  deployment?: Deployment;
  error?: GatewayError | AttemptFailure;
  attempts: AttemptRecord[];
  ms: number;
  overheadMs?: number;
  stream?: string;
  /** Set when the response cache is on: answered from it (true) or not (false). */
  cacheHit?: boolean;
  /** A cache hit: the deployment and geography that produced the cached answer. */
  cachedFrom?: { deployment: string; geography: string | null };
  principal?: Principal;
  /** The proxied operation (chat, embeddings, ...). */
  op?: string;
  usage?: Usage;
  cost?: number;
  /** The serving upstream's answer headers (rate-limit gauges). */
  upstreamHeaders?: IncomingHttpHeaders;
}

/**
 * One log line and the metrics for each proxied request. No prompt content, no keys.
 * What is fixed per serving deployment (group, id, region) lives in a child logger made once, so
 * pino serializes it once rather than on every line.
 */
export class RequestLog {
  private readonly children = new Map<string, Logger>();
  private readonly info: boolean;

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly deployments: ReadonlyMap<string, Deployment> = new Map(),
    private readonly tracing?: RecordSink,
  ) {
    this.info = logger.isLevelEnabled("info");
  }

  private childFor(d: Deployment): Logger {
    let c = this.children.get(d.id);
    if (!c) {
      c = this.logger.child({ model_group: d.modelGroup, deployment_id: d.id, region: d.geography });
      this.children.set(d.id, c);
    }
    return c;
  }

  request(r: RequestRecord): void {
    const status = r.status === "error" ? (r.error as { status: number }).status : r.status;
    if (this.metrics) {
      // A failure is labelled with the deployment that gave it, as its response headers name it.
      const last = r.attempts[r.attempts.length - 1];
      this.metrics.observe({
        group: r.group,
        deployment: r.deployment ?? (last ? this.deployments.get(last.deploymentId) : undefined),
        status,
        code: r.error?.code,
        ms: r.ms,
        overheadMs: r.overheadMs,
        attempts: r.attempts,
        policy: r.policy,
        principal: r.principal,
        usage: r.usage,
        cost: r.cost,
        upstreamHeaders: r.upstreamHeaders,
      });
    }
    this.tracing?.request(r, r.op);
    if (!this.info) return;
    const fields: Record<string, unknown> = {
      call_id: r.callId,
      end_user: r.policy.endUserId,
      allowed_region: r.policy.allowed === null ? null : r.policy.key,
      status,
      ms: round(r.ms),
    };
    if (r.overheadMs !== undefined) fields.overhead_ms = round(r.overheadMs);
    if (r.attempts.length > 1) fields.attempts = r.attempts;
    if (r.stream !== undefined) fields.stream = r.stream;
    if (r.error) fields.code = r.error.code;
    if (r.cacheHit !== undefined) fields.cache_hit = r.cacheHit;
    if (r.cachedFrom) {
      fields.cached_from = r.cachedFrom.deployment;
      fields.region = r.cachedFrom.geography;
    }
    if (r.deployment) {
      this.childFor(r.deployment).info(fields, "request");
      return;
    }
    fields.model_group = r.group;
    if (r.model !== undefined && r.model !== r.group) fields.model = r.model;
    this.logger.info(fields, "request");
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
