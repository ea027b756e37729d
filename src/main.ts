#!/usr/bin/env node
import { parseCli, USAGE, UsageError } from "./cli/args.js";
import { ConfigError, loadConfigFile } from "./config/load.js";
import { createLogger } from "./observability/logger.js";
import { startServer } from "./server.js";
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
  const logger = createLogger({ level: cli.detailedDebug ? "debug" : undefined });
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
  for (const w of config.warnings) logger.warn(w);
  if (!config.general.masterKey)
    logger.warn(
      "no master key configured (general_settings.master_key or LITELLM_MASTER_KEY): the gateway accepts every request without authentication",
    );

  const server = await startServer(config, { host: cli.host, port: cli.port, logger });
  logger.info(
    {
      port: server.port,
      host: cli.host,
      deployments: config.deployments.length,
      store: `${server.store.kind} ${server.store.where}`,
      version: VERSION,
    },
    `Meridian listening on http://${cli.host}:${server.port}`,
  );
  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    server.shutdown().then(
      () => {
        logger.info("shutdown complete");
        logger.flush();
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
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
