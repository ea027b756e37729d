import type { FastifyInstance } from "fastify";
import { objectPathPatterns, proxyPathPatterns } from "./routes.js";

/** One entry of LiteLLM's `GET /routes` (FastAPI's route table: path, methods, function name). */
export interface RouteInfo {
  path: string;
  methods: string[];
  name: string;
  endpoint: string;
}

/**
 * Records every Fastify route as it is registered, so call this before any route is added; `GET
 * /routes` then answers from the table, with the proxy adapter's routes (routes.ts) added.
 */
export function collectRoutes(app: FastifyInstance): () => { routes: RouteInfo[] } {
  const proxied: RouteInfo[] = proxyPathPatterns().map((path) => {
    const name = nameOf(path);
    return { path, methods: ["POST"], name, endpoint: name };
  });
  for (const { path, methods } of objectPathPatterns()) {
    const name = nameOf(path);
    proxied.push({ path, methods, name, endpoint: name });
  }
  const byPath = new Map<string, RouteInfo>();
  app.addHook("onRoute", (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    let info = byPath.get(r.url);
    if (!info) {
      // Handler function names here are incidental (arrow functions, shared handlers): name by path.
      const name = nameOf(r.url);
      info = { path: r.url, methods: [], name, endpoint: name };
      byPath.set(r.url, info);
    }
    for (const m of methods) if (!info.methods.includes(m)) info.methods.push(m);
  });
  return () => ({
    routes: [...proxied, ...byPath.values()].map((r) => ({ ...r, methods: [...r.methods].sort() })),
  });
}

/** `/v1/chat/completions` -> `v1_chat_completions`: stable, unique per path. */
export function nameOf(path: string): string {
  const n = path
    .replace(/:([a-zA-Z_]+)|\{([a-zA-Z_]+)\}/g, "$1$2")
    .replace(/[^a-zA-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return n || "root";
}

export function registerRoutesRoute(app: FastifyInstance, table: () => { routes: RouteInfo[] }): void {
  // Public, as LiteLLM's (its e2e test calls it without a key): paths and names only, no secrets.
  app.get("/routes", { config: { public: true } }, async () => table());
}
