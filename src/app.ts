import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import type { GatewayConfig } from "./config/normalize.js";
import { CustomerService } from "./customers/service.js";
import { GatewayError } from "./errors.js";
import { accessCheck, type Lifecycle } from "./http/access.js";
import { registerEndUserRoutes } from "./http/end-users.js";
import { errorHandler, sendFailure } from "./http/errors.js";
import type { Gateway } from "./http/gateway.js";
import { deploymentHeaders } from "./http/headers.js";
import { registerHealthRoutes } from "./http/health.js";
import { parseJsonBody } from "./http/json-body.js";
import { registerModelRoutes } from "./http/models.js";
import { LENIENT_WARNING, proxyAdapter } from "./http/proxy-adapter.js";
import { matchProxyPath } from "./http/routes.js";
import { type Bus, LocalBus } from "./kv/bus.js";
import { type Logger, silentLogger } from "./observability/logger.js";
import { Metrics } from "./observability/metrics.js";
import { RequestLog } from "./observability/request-log.js";
import { accountingFor } from "./pipeline/account.js";
import type { PipelineDeps } from "./pipeline/handle.js";
import { MASTER, OPEN } from "./pipeline/types.js";
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
}

export interface Built {
  app: FastifyInstance;
  gateway: Gateway;
  pipeline: PipelineDeps;
  /** The node request handler a socket reaches: the proxy adapter, then Fastify. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Stop taking requests (readiness 503, new proxied requests 503) before closing. */
  beginShutdown(): void;
  close(): Promise<void>;
}

/** Assemble the server without listening, so tests drive it with inject() or an ephemeral port. */
export async function build(deps: BuildDeps): Promise<Built> {
  const { config, store } = deps;
  const logger = deps.logger ?? silentLogger();
  const bus = deps.bus ?? new LocalBus();
  const state = deps.routerState ?? new LocalRouterState();
  const router = new Router(config, state);
  const metrics = deps.metrics === false ? undefined : new Metrics();

  const providers: Readonly<Record<string, Provider>> = { ...PROVIDERS, ...deps.providers };
  const targets = new Map<string, UpstreamTarget>();
  const headers = new Map<string, Readonly<Record<string, string>>>();
  for (const d of config.deployments) {
    if (d.mockResponse === undefined || d.apiBase) targets.set(d.id, providers[d.provider].target(d));
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
    store,
    modelNames: [...router.groups.keys(), ...config.router.aliases.keys()],
    logger,
    metrics,
    health: deps.health ?? [],
  };

  const pipeline: PipelineDeps = {
    router,
    customers: gateway.customers,
    pools: new UpstreamPools(),
    targets,
    providers,
    deploymentHeaders: headers,
    modelNames: gateway.modelNames,
    maxRetries: String(config.router.numRetries),
    // Tokens are counted per deployment only where a strategy reads them.
    accounting: accountingFor(
      new RequestLog(logger, metrics),
      logger,
      config.router.strategy === "usage-based-routing-v2" ? state : undefined,
    ),
  };

  const lifecycle: Lifecycle = { shuttingDown: false };
  const access = accessCheck(config.general.masterKey, lifecycle, logger);
  const principal = config.general.masterKey ? MASTER : OPEN;
  let handler: Built["handler"] | undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: config.general.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: false,
    // Proxy requests are answered ahead of Fastify (proxy-adapter.ts); everything else reaches it.
    serverFactory: (fastify) => {
      handler = proxyAdapter(
        pipeline,
        {
          authenticate: (req) => access(req.headers, req.method ?? "POST", req.url ?? "/") ?? principal,
          maxBodyBytes: config.general.maxBodyBytes,
        },
        fastify,
      );
      const server = createServer(handler);
      // What Fastify sets on servers it creates itself.
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      return server;
    },
  });

  // LiteLLM reads any body as JSON whatever its content type; so do we (curl -d sends form type).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (req, text, done) => {
    if (text === "" || text === undefined) return done(null, undefined);
    try {
      const { value, lenient } = parseJsonBody(text as string);
      if (lenient) (req as unknown as { lenientJson: boolean }).lenientJson = true;
      done(null, value);
    } catch (err) {
      const e = err as Error & { statusCode?: number; code?: string };
      e.statusCode = 400;
      e.code = "FST_ERR_CTP_INVALID_JSON_BODY";
      done(e, undefined);
    }
  });

  // Callback style: no promise per request.
  app.addHook("onRequest", (req, _reply, done) => {
    const routeConfig = req.routeOptions.config as { public?: boolean } | undefined;
    if (routeConfig?.public) return done();
    done(access(req.headers, req.method, req.url));
  });
  // Tell the client when its body needed the lenient parse. A hook on every route, yet it costs one
  // property read per request; the proxy's hijacked responses copy the header from the reply.
  app.addHook("preHandler", (req, reply, done) => {
    if ((req as unknown as { lenientJson?: boolean }).lenientJson)
      reply.header("x-meridian-warning", LENIENT_WARNING);
    done();
  });

  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    const allowed = (["GET", "POST"] as const).filter(
      (method) =>
        method !== req.method &&
        (app.hasRoute({ method, url: path }) || (method === "POST" && matchProxyPath(path) !== undefined)),
    );
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendFailure(
        reply,
        new GatewayError(
          "method_not_allowed",
          `Method ${req.method} is not allowed on ${path}; use ${allowed.join(" or ")}.`,
        ),
      );
    }
    sendFailure(reply, new GatewayError("not_found", `Route not found: ${req.method} ${path}`));
  });

  registerHealthRoutes(app, gateway, lifecycle);
  registerModelRoutes(app, gateway);
  registerEndUserRoutes(app, gateway);
  if (metrics) {
    // Public like LiteLLM's (scrapers rarely carry keys); it holds counts and ids, no secrets.
    app.get("/metrics", { config: { public: true } }, async (_req, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  }

  await app.ready();
  return {
    app,
    gateway,
    pipeline,
    handler: handler as Built["handler"],
    beginShutdown() {
      lifecycle.shuttingDown = true;
    },
    async close() {
      lifecycle.shuttingDown = true;
      await app.close();
      await pipeline.pools.close();
    },
  };
}
