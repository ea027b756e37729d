#!/usr/bin/env node
import cluster from "node:cluster";
import { parseCli, USAGE, UsageError } from "./cli/args.js";
import type { RunningServer } from "./server.js";
import { VERSION } from "./version.js";

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`meridian: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!cli.config) {
    process.stderr.write(
      `meridian: no config file given (use --config FILE or CONFIG_FILE_PATH)\n\n${USAGE}\n`,
    );
    return 2;
  }
  if (cli.command === "check") {
    const { runCheck } = await import("./cli/run-check.js");
    return runCheck(cli.config);
  }
  // Loaded only now: --help, --version and usage errors answer in ~0.1 s instead of ~1.4 s.
  const [{ IpcBus }, { runPrimary }, { ConfigError, loadConfigFile }, { createLogger }, { startServer }] =
    await Promise.all([
      import("./cluster/ipc-bus.js"),
      import("./cluster/primary.js"),
      import("./config/load.js"),
      import("./observability/logger.js"),
      import("./server.js"),
    ]);
  // The cluster primary logs a handful of lines: write them at once rather than buffered.
  const logger = createLogger({
    level: cli.detailedDebug ? "debug" : undefined,
    sync: cli.numWorkers > 1 && cluster.isPrimary,
  });
  let config: ReturnType<typeof loadConfigFile>;
  try {
    config = loadConfigFile(cli.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`meridian: invalid configuration\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const worker = cluster.isWorker;
  if (!worker) {
    // once, from the process the operator started (workers load the same config)
    for (const w of config.warnings) logger.warn(w);
    if (!config.general.masterKey)
      logger.warn(
        config.general.allowRemoteAdminWithoutKey
          ? "no master key configured (general_settings.master_key or LITELLM_MASTER_KEY) and allow_remote_admin_without_key is true: any network peer can create, re-pin and delete customers"
          : "no master key configured (general_settings.master_key or LITELLM_MASTER_KEY): the gateway accepts every proxy request without authentication; admin routes (/end_user/*, /customer/*) answer loopback callers only",
      );
  }
  if (cli.numWorkers > 1 && cluster.isPrimary) {
    // Migrate once, here, before the workers open the store together (concurrent SQLite
    // migrations collide); this also fails fast on a bad store URL instead of in every worker.
    const { openStore } = await import("./store/customers.js");
    await (await openStore(config.general.databaseUrl)).close();
    return runPrimary({
      numWorkers: cli.numWorkers,
      logger,
      redisConfigured: Boolean(config.general.redisUrl),
      shutdownGraceMs: config.general.shutdownGraceMs,
      host: cli.host,
      port: cli.port,
    }).then((code) => {
      logger.info({ code }, "all workers stopped");
      logger.flush();
      return code;
    });
  }

  // Signals are taken from here on: one arriving while the store is still opening (a worker
  // stopped right after it was forked) is honoured as soon as the server is up.
  let server: RunningServer | undefined;
  let requested: string | undefined;
  const stop = (signal: string) => {
    requested ??= signal;
    if (!server || requested !== signal) return;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    // The log stream is asynchronous: exit once the last lines are written (or after 1 s regardless).
    const exit = (code: number) => {
      setTimeout(() => process.exit(code), 1_000);
      logger.flush(() => process.exit(code));
    };
    server.shutdown().then(
      () => {
        logger.info("shutdown complete");
        exit(0);
      },
      (err) => {
        logger.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // A worker whose primary died must not linger serving on its own.
  if (worker) process.once("disconnect", () => stop("primary-gone"));

  server = await startServer(config, {
    host: cli.host,
    port: cli.port,
    logger,
    // Without Redis, workers reach each other through the primary.
    bus: worker && !config.general.redisUrl ? new IpcBus() : undefined,
    redisPrefix: process.env.MERIDIAN_REDIS_PREFIX,
  });
  if (requested) stop(requested);
  // bin/meridian.js writes its code cache on this (once startup has compiled what it needs).
  (process as NodeJS.EventEmitter).emit("meridian:listening");
  if (!worker)
    logger.info(
      {
        port: server.port,
        host: cli.host,
        deployments: config.deployments.length,
        store: `${server.store.kind} ${server.store.where}`,
        redis: server.redis ? "shared state" : "none (local state)",
        version: VERSION,
      },
      `Meridian listening on http://${cli.host}:${server.port}`,
    );
  // The log destination buffers 4 KB for throughput; an operator or supervisor needs this line now.
  logger.flush();
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`meridian: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
