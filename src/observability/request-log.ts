import type { GatewayError } from "../errors.js";
import type { AttemptRecord } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import type { AttemptFailure } from "../upstream/errors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

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
    this.metrics?.observe(r.group, r.deployment, status, r.ms, r.overheadMs);
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
