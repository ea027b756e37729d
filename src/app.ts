import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import { Affinity } from "./affinity/affinity.js";
import { startSpendLog } from "./audit/start.js";
import type { SpendWriter } from "./audit/writer.js";
import { accessServices } from "./auth/services.js";
import { CustomerBudgets } from "./budgets/customer-budgets.js";
import { BudgetResetJob } from "./budgets/reset.js";
import { SpendLedger } from "./budgets/spend.js";
import { ResponseCache } from "./cache/cache.js";
import { CacheMetrics } from "./cache/metrics.js";
import type { GatewayConfig } from "./config/normalize.js";
import { CustomerService } from "./customers/service.js";
import { GatewayError, gatewayError } from "./errors.js";
import { authenticator, type Lifecycle } from "./http/access.js";
import { adminGuard } from "./http/admin-guard.js";
import { refuseUnstorableAdminInput } from "./http/admin-input.js";
import { recordFastifyRequests } from "./http/admin-records.js";
import { clientErrorHandler, frameworkErrorHandler } from "./http/client-error.js";
import { registerDocsRoutes } from "./http/docs-routes.js";
import { ConnectionDrain } from "./http/drain.js";
import { registerEndUserRoutes } from "./http/end-users.js";
import { errorHandler, sendFailure } from "./http/errors.js";
import { registerExplainRoute } from "./http/explain.js";
import type { Gateway } from "./http/gateway.js";
import { deploymentHeaders } from "./http/headers.js";
import { registerHealthRoutes } from "./http/health.js";
import { parseJsonBody } from "./http/json-body.js";
import { registerKeyRoutes } from "./http/key-routes.js";
import { registerModelRoutes } from "./http/models.js";
import { registerOpsHealthRoute } from "./http/ops-health.js";
import { collectRoutes, registerRoutesRoute } from "./http/ops-routes.js";
import { refuseExpectation, requireHost } from "./http/protocol-refusals.js";
import { LENIENT_WARNING, proxyAdapter } from "./http/proxy-adapter.js";
import { matchProxyPath } from "./http/routes.js";
import { registerSpendRoutes } from "./http/spend.js";
import { registerTeamRoutes } from "./http/team-routes.js";
import { registerUiRoutes, uiDir } from "./http/ui-routes.js";
import { registerUserRoutes } from "./http/user-routes.js";
import { type Bus, LocalBus } from "./kv/bus.js";
import type { RedisLink } from "./kv/redis.js";
import { LocalRateCounters } from "./limits/rate.js";
import { RedisRateCounters } from "./limits/redis-rate.js";
import { type Logger, silentLogger } from "./observability/logger.js";
import { Metrics } from "./observability/metrics.js";
import { RequestLog } from "./observability/request-log.js";
import { collectOpenApi } from "./openapi/document.js";
import { accountingFor } from "./pipeline/account.js";
import type { PipelineDeps } from "./pipeline/handle.js";
import type { Principal } from "./pipeline/types.js";
import type { Provider, UpstreamTarget } from "./providers/contract.js";
import { PROVIDERS } from "./providers/index.js";
import { Router } from "./router/router.js";
import { LocalRouterState, type RouterState } from "./router/state.js";
import type { Store } from "./store/customers.js";
import { UpstreamPools } from "./upstream/client.js";

export interface BuildDeps {
  config: GatewayConfig;
  store: Store;
  logger?: Logger;
  bus?: Bus;
  routerState?: RouterState;
  metrics?: boolean;
  /** Extra readiness checks. */
  health?: Gateway["health"];
  /** Providers beyond the built-in ones (tests register a toy translating provider). */
  providers?: Readonly<Record<string, Provider>>;
  /** Router randomness (strategies, jitter); tests seed it. */
  random?: () => number;
  /** Redis, when configured: affinity entries, rate limits and budget spend are shared through it. */
  redis?: RedisLink;
  /** Where the built admin page is (default: dist/ui, see http/ui-routes.ts). */
  uiDir?: string;
  /** How often due budgets are reset (default 60 s). */
  budgetResetMs?: number;
}

export interface Built {
  app: FastifyInstance;
  gateway: Gateway;
  pipeline: PipelineDeps;
  /** The node request handler a socket reaches: the proxy adapter, then Fastify. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The server's connections, for a shutdown that answers them instead of resetting them. */
  drain: ConnectionDrain;
  /** The spend log's writer (undefined when disable_spend_logs). */
  spendLog: SpendWriter | undefined;
  /** Stop taking requests (readiness 503, new proxied requests 503) before closing. */
  beginShutdown(): void;
  /** Spend in memory on its way to the store, and the periodic budget reset. */
  ledger: SpendLedger;
  resets: BudgetResetJob;
  close(): Promise<void>;
}

/** Assemble the server without listening, so tests drive it with inject() or an ephemeral port. */
export async function build(deps: BuildDeps): Promise<Built> {
  const { config, store } = deps;
  const logger = deps.logger ?? silentLogger();
  const bus = deps.bus ?? new LocalBus();
  const state = deps.routerState ?? new LocalRouterState();
  const router = new Router(config, state, deps.random);
  const metrics = deps.metrics === false ? undefined : new Metrics(config.deployments, state);
  // Loaded only when configured: the OpenTelemetry SDK's modules cost every start otherwise.
  const tracing = config.general.otel
    ? new (await import("./observability/tracing.js")).Tracing(config.general.otel)
    : undefined;

  const providers: Readonly<Record<string, Provider>> = { ...PROVIDERS, ...deps.providers };
  const targets = new Map<string, UpstreamTarget>();
  const headers = new Map<string, Readonly<Record<string, string>>>();
  for (const d of config.deployments) {
    const provider = providers[d.provider];
    // A config naming a provider nobody registered must not start half-wired.
    if (!provider) throw new Error(`deployment ${d.id}: provider "${d.provider}" is not registered`);
    if (d.mockResponse === undefined || d.apiBase) targets.set(d.id, provider.target(d));
    headers.set(d.id, Object.freeze(deploymentHeaders(d)));
  }

  const gateway: Gateway = {
    config,
    router,
    customers: new CustomerService(
      store,
      {
        ttlMs: config.general.customerCacheTtlMs,
        endUserPolicy: config.general.endUserPolicy,
        defaultRegion: config.general.defaultEndUserRegion,
        // the client hears only "unavailable"; the operator needs the cause
        onStoreError: (err, op) => logger.error({ err, op }, "customer store error"),
      },
      bus,
    ),
    access: accessServices(store, bus, {
      ttlMs: config.general.customerCacheTtlMs,
      onStoreError: (err, op) => logger.error({ err, op }, "key store error"),
    }),
    store,
    affinity: new Affinity(store.affinity, {
      redis: deps.redis,
      onError: (err, op) => logger.error({ err, op }, "affinity store error"),
    }),
    modelNames: [...router.groups.keys(), ...config.router.aliases.keys()],
    upstream: { pools: new UpstreamPools(), targets, providers },
    logger,
    metrics,
    health: deps.health ?? [],
  };

  const cache = config.cache
    ? new ResponseCache(config.cache, logger, new CacheMetrics(metrics?.registry))
    : undefined;
  const spendLog = await startSpendLog(config, store, logger);
  const ledger = new SpendLedger(store.access, {
    flushMs: config.general.spendFlushMs,
    redis: deps.redis,
    // with spend logs on, their writer adds the totals in the same transaction as the records
    persist: spendLog === undefined,
    onError: (err, what) => logger.error({ err }, `${what} failed; retrying at the next flush`),
  });
  const resets = new BudgetResetJob(store.access, gateway.access.keys, gateway.customers, {
    intervalMs: deps.budgetResetMs ?? 60_000,
    onError: (err) => logger.error({ err }, "budget reset failed; retrying at the next pass"),
  });
  const pipeline: PipelineDeps = {
    cache,
    limits: {
      rate: deps.redis ? new RedisRateCounters(deps.redis) : new LocalRateCounters(),
      ledger,
      customers: new CustomerBudgets((id) => store.getCustomer(id), bus, config.general.customerCacheTtlMs),
    },
    router,
    customers: gateway.customers,
    affinity: gateway.affinity,
    onRememberError: (err) => logger.error({ err }, "a created response could not be remembered"),
    ...gateway.upstream,
    deploymentHeaders: headers,
    modelNames: gateway.modelNames,
    maxRetries: String(config.router.numRetries),
    // Tokens are counted per deployment only where a strategy reads them.
    accounting: accountingFor(
      new RequestLog(logger, metrics, new Map(config.deployments.map((d) => [d.id, d])), tracing),
      logger,
      config.router.strategy === "usage-based-routing-v2" ? state : undefined,
      spendLog && { sink: spendLog, storePrompts: config.general.spendLogs.storePrompts },
    ),
  };

  gateway.limits = pipeline.limits;
  const lifecycle: Lifecycle = { shuttingDown: false };
  const access = authenticator(config.general.masterKey, gateway.access.keys, lifecycle, logger);
  let handler: Built["handler"] | undefined;
  const limits = config.general.server;
  let drain: ConnectionDrain | undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: config.general.maxBodyBytes,
    // Fastify's own closing answer is outside the envelope; close() sets lifecycle.shuttingDown
    // first, so every non-public route answers 503 shutting_down from access() instead.
    return503OnClosing: false,
    forceCloseConnections: false,
    // node's parser errors and Fastify's router errors in our envelope, not theirs
    clientErrorHandler: clientErrorHandler(pipeline.accounting),
    frameworkErrors: frameworkErrorHandler,
    // Proxy requests are answered ahead of Fastify (proxy-adapter.ts); everything else reaches it.
    serverFactory: (fastify) => {
      const server = createServer({
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        // node checks both timeouts on this period (30 s by default, which would let a 1 s limit
        // run to 30 s): a quarter of the shorter one bounds the overrun, between 100 ms and 5 s.
        connectionsCheckingInterval: checkingInterval(limits.requestTimeoutMs, limits.headersTimeoutMs),
        // node's refusal is a bare 400 with no record; requireHost answers it (protocol-refusals.ts)
        requireHostHeader: false,
      });
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      server.maxConnections = limits.maxConnections;
      drain = new ConnectionDrain(server);
      handler = proxyAdapter(
        pipeline,
        {
          authenticate: (req) => access(req.headers, req.method ?? "POST", req.url ?? "/"),
          maxBodyBytes: config.general.maxBodyBytes,
          cors: { client: config.general.corsOrigins, admin: config.general.adminCorsOrigins },
        },
        fastify,
      );
      server.on("request", drain.wrap(requireHost(pipeline.accounting, handler)));
      // without a listener node answers a bare 417
      server.on("checkExpectation", drain.wrap(refuseExpectation(pipeline.accounting)));
      return server;
    },
  });

  // LiteLLM reads any body as JSON whatever its content type; so do the proxy routes (curl -d sends
  // form type). Admin routes refuse anything but application/json in onRequest (admin-guard.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (req, text, done) => {
    // No route: the answer is 404 whatever the body holds.
    if (text === "" || text === undefined || req.is404) return done(null, undefined);
    try {
      const { value, lenient } = parseJsonBody(text as string);
      if (lenient) (req as unknown as { lenientJson: boolean }).lenientJson = true;
      done(null, value);
    } catch (err) {
      if (err instanceof GatewayError) return done(err, undefined);
      const e = err as Error & { statusCode?: number; code?: string };
      e.statusCode = 400;
      e.code = "FST_ERR_CTP_INVALID_JSON_BODY";
      done(e, undefined);
    }
  });

  // A form posted to a route Fastify serves (or to none: 404) is never read as JSON; admin routes
  // refuse it in onRequest, unknown routes answer 404 whatever the body. The proxy routes that take
  // forms read them in the adapter (multipart/spool.ts).
  app.addContentTypeParser(/^\s*multipart\//i, { parseAs: "buffer" }, (_req, _body, done) =>
    done(null, undefined),
  );

  const admin = adminGuard({
    masterKey: config.general.masterKey,
    allowRemoteWithoutKey: config.general.allowRemoteAdminWithoutKey,
  });
  // Callback style: no promise per request.
  app.addHook("onRequest", (req, _reply, done) => {
    const routeConfig = req.routeOptions.config as { public?: boolean; admin?: boolean } | undefined;
    if (routeConfig?.public) return done();
    const checked = (who: Principal | GatewayError) => {
      if (who instanceof GatewayError) return done(who);
      (req as unknown as { principal: Principal }).principal = who;
      if (!routeConfig?.admin) return done();
      // Admin routes are the master key's (LiteLLM: proxy admin); a virtual key may read its own info.
      if (who.kind === "virtual" && !(req.method === "GET" && req.routeOptions.url === "/key/info"))
        return done(gatewayError("admin_key_required", { path: req.url.split("?")[0] }));
      done(admin(req.method, req.headers, req.socket.remoteAddress));
    };
    const who = access(req.headers, req.method, req.url);
    if (who instanceof Promise) who.then(checked, done);
    else checked(who);
  });
  // Tell the client when its body needed the lenient parse. A hook on every route, yet it costs one
  // property read per request; the proxy's hijacked responses copy the header from the reply.
  app.addHook("preHandler", (req, reply, done) => {
    if ((req as unknown as { lenientJson?: boolean }).lenientJson)
      reply.header("x-meridian-warning", LENIENT_WARNING);
    done();
  });

  refuseUnstorableAdminInput(app);
  app.setErrorHandler(errorHandler(logger));
  recordFastifyRequests(app, pipeline.accounting);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    const allowed = (["GET", "POST"] as const).filter(
      (method) =>
        method !== req.method &&
        (app.hasRoute({ method, url: path }) || proxyAccepts(matchProxyPath(path), method)),
    );
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendFailure(reply, gatewayError("method_not_allowed", { method: req.method, path, allowed }));
    }
    sendFailure(reply, gatewayError("not_found", { reason: "route", method: req.method, path }));
  });

  const routeTable = collectRoutes(app);
  const openApi = collectOpenApi(app);
  registerHealthRoutes(app, gateway, lifecycle);
  registerOpsHealthRoute(app, gateway);
  registerRoutesRoute(app, routeTable);
  registerModelRoutes(app, gateway);
  registerEndUserRoutes(app, gateway);
  registerKeyRoutes(app, gateway);
  registerTeamRoutes(app, gateway);
  registerUserRoutes(app, gateway);
  registerSpendRoutes(app, gateway, spendLog !== undefined);
  registerExplainRoute(app, gateway);
  await registerDocsRoutes(app, openApi);
  await registerUiRoutes(app, gateway, deps.uiDir ?? uiDir());
  if (metrics) {
    // Public like LiteLLM's (scrapers rarely carry keys); it holds counts and ids, no secrets.
    app.get("/metrics", { config: { public: true } }, async (_req, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  }

  await app.ready();
  const connections = drain as ConnectionDrain;
  return {
    app,
    gateway,
    pipeline,
    handler: handler as Built["handler"],
    drain: connections,
    ledger,
    resets,
    spendLog,
    beginShutdown() {
      lifecycle.shuttingDown = true;
      connections.begin();
    },
    async close() {
      lifecycle.shuttingDown = true;
      await app.close();
      await pipeline.pools.close();
      resets.close();
      await ledger.close();
      // after the last answer was written (and so accounted): write or spill every record
      await spendLog?.close();
      await cache?.close();
      await tracing?.close();
    },
  };
}

function proxyAccepts(route: ReturnType<typeof matchProxyPath>, method: string): boolean {
  return route !== undefined && route !== "bad_path" && route.methods.includes(method);
}

function checkingInterval(...timeoutsMs: number[]): number {
  const set = timeoutsMs.filter((t) => t > 0);
  if (set.length === 0) return 5_000;
  return Math.min(5_000, Math.max(100, Math.floor(Math.min(...set) / 4)));
}
