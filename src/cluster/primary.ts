import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../observability/logger.js";
import { relayBus } from "./ipc-bus.js";

export interface PrimaryOptions {
  numWorkers: number;
  logger: Logger;
  /** Without Redis, cooldowns and limits are per worker; customer changes go over IPC. */
  redisConfigured: boolean;
  /** The workers' shutdown grace; after it (plus a margin) stragglers are killed. */
  shutdownGraceMs: number;
  host: string;
  port: number;
}

/** A worker that dies this soon after starting is taken as a startup failure, not a crash. */
const EARLY_EXIT_MS = 5_000;
const RESPAWN_DELAY_MS = 500;

/**
 * The cluster primary: forks the workers (which share the listening port), relays bus messages
 * between them, replaces a worker that crashes, and on SIGTERM/SIGINT asks every worker to shut
 * down gracefully and exits 0 once all of them have. It serves no requests itself.
 * Resolves with the process exit code.
 */
export function runPrimary(o: PrimaryOptions): Promise<number> {
  const { logger } = o;
  if (!o.redisConfigured)
    logger.warn(
      { workers: o.numWorkers },
      "no Redis configured: with several workers, rate limits, usage and cooldowns are per worker (customer changes still reach every worker over IPC); set REDIS_URL to share them",
    );
  let stopping = false;
  let listening = 0;
  let announced = false;
  const started = new Map<Worker, number>();
  const up = new Set<Worker>();
  // a worker stays listed until it has both exited and disconnected, in either order
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  const fork = () => {
    const w = cluster.fork({ MERIDIAN_WORKER: "1" });
    started.set(w, Date.now());
  };

  return new Promise<number>((resolve) => {
    let failed = false;
    const finish = () => {
      if (live().length > 0) return;
      resolve(failed ? 1 : 0);
    };
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(
        { signal, workers: live().length },
        "shutting down: asking workers to finish in-flight requests",
      );
      // A worker still starting has no signal handler yet; it is asked once it listens.
      for (const w of live()) if (up.has(w)) w.process.kill("SIGTERM");
      const killer = setTimeout(() => {
        for (const w of live()) {
          logger.error({ worker: w.process.pid }, "worker did not stop within the grace period; killing it");
          w.process.kill("SIGKILL");
        }
      }, o.shutdownGraceMs + 5_000);
      killer.unref();
      finish();
    };

    cluster.on("message", (w, m) => relayBus(w, m, live()));
    cluster.on("listening", (w) => {
      up.add(w);
      if (stopping) {
        w.process.kill("SIGTERM");
        return;
      }
      listening++;
      if (!announced && listening >= o.numWorkers) {
        announced = true;
        logger.info(
          { port: o.port, host: o.host, workers: o.numWorkers },
          `Meridian listening on http://${o.host}:${o.port} with ${o.numWorkers} workers`,
        );
      }
    });
    cluster.on("exit", (w, code, signal) => {
      const early = Date.now() - (started.get(w) ?? 0) < EARLY_EXIT_MS;
      started.delete(w);
      up.delete(w);
      if (stopping) {
        if (code !== 0) failed = true;
        finish();
        return;
      }
      if (early && !announced) {
        // e.g. port in use or store unreachable: every worker would fail the same way
        logger.error({ worker: w.process.pid, code, signal }, "worker failed to start; stopping");
        failed = true;
        stop("startup-failure");
        return;
      }
      logger.error({ worker: w.process.pid, code, signal }, "worker died; starting a replacement");
      setTimeout(() => !stopping && fork(), RESPAWN_DELAY_MS).unref();
    });

    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    for (let i = 0; i < o.numWorkers; i++) fork();
  });
}
