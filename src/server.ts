import { type Built, build } from "./app.js";
import type { GatewayConfig } from "./config/normalize.js";
import type { Logger } from "./observability/logger.js";
import { openStore, type Store } from "./store/customers.js";

export interface RunningServer {
  built: Built;
  store: Store;
  port: number;
  /** Graceful: stop accepting, finish in-flight requests (up to the grace period), close pools and store. */
  shutdown(): Promise<void>;
}

/** Open the store, build the app and listen. Used by the CLI, the demo and integration tests. */
export async function startServer(
  config: GatewayConfig,
  opts: { host: string; port: number; logger: Logger },
): Promise<RunningServer> {
  const store = await openStore(config.general.databaseUrl);
  const built = await build({ config, store, logger: opts.logger });
  await built.app.listen({ host: opts.host, port: opts.port });
  const addr = built.app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  let closing: Promise<void> | undefined;
  return {
    built,
    store,
    port,
    shutdown() {
      closing ??= (async () => {
        built.beginShutdown();
        const grace = setTimeout(
          () => built.app.server.closeAllConnections(),
          config.general.shutdownGraceMs,
        );
        grace.unref();
        await built.close();
        clearTimeout(grace);
        await store.close();
      })();
      return closing;
    },
  };
}
