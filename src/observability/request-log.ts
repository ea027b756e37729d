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
}

/** One log line and the metrics for each proxied request. No prompt content, no keys. */
export class RequestLog {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
  ) {}

  request(r: RequestRecord): void {
    const status = r.status === "error" ? (r.error as { status: number }).status : r.status;
    this.metrics?.observe(r.group, r.deployment, status, r.ms, r.overheadMs);
    if (!this.logger.isLevelEnabled("info")) return;
    this.logger.info(
      {
        call_id: r.callId,
        model_group: r.group,
        model: r.model !== r.group ? r.model : undefined,
        end_user: r.policy.endUserId,
        allowed_region: r.policy.allowed,
        deployment_id: r.deployment?.id,
        region: r.deployment?.geography,
        status,
        code: r.error?.code,
        attempts: r.attempts.length > 1 ? r.attempts : undefined,
        ms: round(r.ms),
        overhead_ms: r.overheadMs === undefined ? undefined : round(r.overheadMs),
        stream: r.stream,
      },
      "request",
    );
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
