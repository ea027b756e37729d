import { Server } from "node:net";
import { type Built, build } from "./app.js";
import type { GatewayConfig } from "./config/normalize.js";
import { type Bus, LocalBus } from "./kv/bus.js";
import type { RedisLink } from "./kv/redis.js";
import type { RedisBus } from "./kv/redis-bus.js";
import type { SharedRouterState } from "./kv/shared-state.js";
import type { Logger } from "./observability/logger.js";
import { LocalRouterState, type RouterState } from "./router/state.js";
import { openStore, type Store } from "./store/customers.js";

export interface RunningServer {
  built: Built;
  store: Store;
  port: number;
  /** The bus customer invalidations travel on (Redis, cluster IPC or in-process). */
  bus: Bus;
  /** Set when general.redisUrl is: the connections to Redis. */
  redis: RedisLink | undefined;
  /** Graceful: stop accepting, finish in-flight requests (up to the grace period), close everything. */
  shutdown(): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Bus to use when there is no Redis (a cluster worker passes the IPC bus). */
  bus?: Bus;
  /** Namespace for Redis keys and channels (several gateways or test runs on one Redis). */
  redisPrefix?: string;
  /** Shared-state flush period, ms (tests shorten it). */
  redisFlushMs?: number;
}

/** Customer cache lifetime while Redis is down (changes made on other instances apply within it). */
const DEGRADED_CACHE_MS = 1_000;

/** After the grace period: how long the last answers may take to leave before sockets are destroyed. */
const CUT_FLUSH_MS = 1_000;

/** The drain ends early after this long with no connection open and none opened. */
const DRAIN_QUIET_MS = 250;

/** How long startup waits for Redis before serving on local state (it keeps reconnecting). */
const REDIS_STARTUP_WAIT_MS = 2_000;

/**
 * Open the store, connect Redis when configured, build the app and listen. Used by the CLI, each
 * cluster worker, the demo and integration tests.
 */
export async function startServer(config: GatewayConfig, opts: ServerOptions): Promise<RunningServer> {
  const store = await openStore(config.general.databaseUrl);
  let redis: RedisLink | undefined;
  let bus: Bus;
  let routerState: RouterState;
  let shared: SharedRouterState | undefined;
  let redisBus: RedisBus | undefined;
  if (config.general.redisUrl) {
    // Loaded only when configured: ioredis adds ~0.2 s to a cold start.
    const [{ RedisLink }, { RedisBus }, { SharedRouterState }] = await Promise.all([
      import("./kv/redis.js"),
      import("./kv/redis-bus.js"),
      import("./kv/shared-state.js"),
    ]);
    redis = new RedisLink({ url: config.general.redisUrl, logger: opts.logger, prefix: opts.redisPrefix });
    redisBus = new RedisBus(redis);
    bus = redisBus;
    shared = new SharedRouterState(redis, {
      flushIntervalMs: opts.redisFlushMs,
      deploymentIds: config.deployments.map((d) => d.id),
    });
    routerState = shared;
  } else {
    bus = opts.bus ?? new LocalBus();
    routerState = new LocalRouterState();
  }
  const link = redis;
  const built = await build({
    config,
    store,
    logger: opts.logger,
    bus,
    routerState,
    redis,
    health: link ? [() => link.health()] : [],
  });
  if (redisBus) {
    // While we cannot hear Redis (down, or hung without closing connections) other instances'
    // customer changes cannot reach us: forget the cache and cache briefly until we hear again.
    const customers = built.gateway.customers;
    const b = redisBus;
    let warned = false;
    b.onHearing((hearing) => {
      if (hearing) {
        customers.restore();
        if (warned) opts.logger.info("customer invalidations heard again: customer cache trusted");
        warned = false;
      } else {
        customers.degrade(DEGRADED_CACHE_MS);
        warned = true;
        opts.logger.warn(
          `customer invalidations not heard: customer cache cleared, entries kept ${DEGRADED_CACHE_MS} ms until the bus is heard again`,
        );
      }
    });
    // Subscribed before the first request, so no invalidation published after we listen is missed.
    if (link && (await link.waitReady(REDIS_STARTUP_WAIT_MS))) await b.settled();
    if (!b.listening) customers.degrade(DEGRADED_CACHE_MS); // not heard yet, or already lost
  }
  await built.app.listen({ host: opts.host, port: opts.port });
  const addr = built.app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  let closing: Promise<void> | undefined;
  return {
    built,
    store,
    port,
    bus,
    redis,
    shutdown() {
      closing ??= (async () => {
        const started = Date.now();
        const grace = config.general.shutdownGraceMs;
        const { drain } = built;
        const server = built.app.server;
        // Drain first, listener open: every request gets an answer (503 `shutting_down`, connection:
        // close) where closing at once reset the ones racing it (new connections in the accept
        // queue, requests on keep-alive connections). It ends early once no connection is left and
        // none has opened for a moment: nobody is then talking to us, and a client connecting later
        // is refused, which is as safe.
        built.beginShutdown();
        await drain.quiet(DRAIN_QUIET_MS, Math.min(config.general.server.drainMs, grace));
        // net's close, not http's: that one also closes idle keep-alive connections at once, the
        // race the drain is for. Fastify's close() below tolerates the listener being gone.
        Server.prototype.close.call(server);
        if (!(await drain.empty(grace - (Date.now() - started)))) {
          opts.logger.warn(
            { connections: drain.connections },
            "shutdown grace period over: answering requests still in flight with 503 shutting_down",
          );
          drain.cut();
          if (!(await drain.empty(CUT_FLUSH_MS))) drain.destroyAll();
        }
        await built.close();
        await shared?.close();
        await bus.close();
        await link?.close();
        await store.close();
      })();
      return closing;
    },
  };
}
