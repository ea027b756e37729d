import type { Affinity } from "../affinity/affinity.js";
import type { AccessServices } from "../auth/services.js";
import type { GatewayConfig } from "../config/normalize.js";
import type { CustomerService } from "../customers/service.js";
import type { LimitsDeps } from "../limits/stage.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { AttemptDeps } from "../pipeline/attempt.js";
import type { Router } from "../router/router.js";
import type { Store } from "../store/customers.js";

/** What the admin, health and model routes (Fastify) need, built once by app.ts. */
export interface Gateway {
  config: GatewayConfig;
  router: Router;
  customers: CustomerService;
  /** Virtual keys, teams and internal users. */
  access: AccessServices;
  store: Store;
  /** id -> deployment of stored responses, files and batches (src/affinity/). */
  affinity: Affinity;
  modelNames: readonly string[];
  /** How to reach each deployment (the health checks call them as the pipeline does). */
  upstream: Omit<AttemptDeps, "router">;
  logger: Logger;
  metrics: Metrics | undefined;
  /** The limits stage's state (ledger, customer budgets), for dry runs; set once the pipeline is built. */
  limits?: LimitsDeps;
  /** Extra readiness checks (e.g. Redis), name -> status. */
  health: Array<() => Promise<{ name: string; ok: boolean; detail?: string }>>;
}
