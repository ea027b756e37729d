import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { GatewayConfig } from "../config/normalize.js";
import type { Logger } from "../observability/logger.js";
import type { Store } from "../store/customers.js";
import { SpendWriter } from "./writer.js";

/**
 * The spend-log writer for this process. Its chain id: the configured one (stable across restarts:
 * the chain continues from its stored head), one per cluster worker; else host + a random suffix,
 * a new chain each start. Two running processes must never share an id.
 */
export async function startSpendLog(
  config: GatewayConfig,
  store: Store,
  logger: Logger,
): Promise<SpendWriter | undefined> {
  const s = config.general.spendLogs;
  if (!s.enabled) return undefined;
  const worker = cluster.isWorker && cluster.worker ? `-w${cluster.worker.id}` : "";
  const instanceId = s.instanceId ? `${s.instanceId}${worker}` : `${hostname()}-${randomUUID().slice(0, 8)}`;
  return SpendWriter.start({
    store: store.spend,
    instanceId,
    logger,
    batchSize: s.batchSize,
    flushMs: s.flushMs,
    maxQueue: s.maxQueue,
    spillDir: s.spillDir,
  });
}
