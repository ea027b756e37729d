import type { GatewayConfig } from "../config/normalize.js";
import type { CustomerService } from "../customers/service.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { RequestLog } from "../observability/request-log.js";
import type { UpstreamTarget } from "../providers/index.js";
import type { Deployment } from "../router/deployment.js";
import type { Router } from "../router/router.js";
import type { Store } from "../store/customers.js";
import type { UpstreamPools } from "../upstream/client.js";

/** Everything a route needs, built once by app.ts. */
export interface Gateway {
  config: GatewayConfig;
  router: Router;
  customers: CustomerService;
  store: Store;
  pools: UpstreamPools;
  targets: ReadonlyMap<string, UpstreamTarget>;
  deploymentHeaders: ReadonlyMap<string, Readonly<Record<string, string>>>;
  modelNames: readonly string[];
  maxRetries: string;
  logger: Logger;
  log: RequestLog;
  metrics: Metrics | undefined;
  /** Usage accounting for usage-based routing (set only when that strategy is on). */
  usage: ((d: Deployment, body: Buffer) => void) | undefined;
  /** Extra readiness checks (e.g. Redis), name -> status. */
  health: Array<() => Promise<{ name: string; ok: boolean; detail?: string }>>;
}
