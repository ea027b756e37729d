import { createRequire } from "node:module";
import { dirname } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** Swagger UI's files, from the swagger-ui-dist package: served locally, so /docs works offline. */
function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meridian API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: false });</script>
</body>
</html>
`;

/**
 * `/openapi.json` (the document, built from the schemas the routes validate with) and `/docs`
 * (Swagger UI over it). Both public, like FastAPI's in LiteLLM: they describe routes, hold no data.
 */
export async function registerDocsRoutes(app: FastifyInstance, document: () => unknown): Promise<void> {
  const open = { config: { public: true } };
  app.get("/openapi.json", open, async () => document());
  app.get("/docs", open, async (_req, reply) => reply.type("text/html; charset=utf-8").send(PAGE));
  await app.register(async (scope) => {
    // In this scope only: the static plugin's routes are public, like the page that loads them.
    scope.addHook("onRoute", (r) => {
      r.config = { ...(r.config as object), public: true };
    });
    await scope.register(fastifyStatic, {
      root: swaggerUiDir(),
      prefix: "/docs/assets/",
      decorateReply: false,
      index: false,
      allowedPath: (path) => /^\/swagger-ui(-bundle\.js|\.css)(\.map)?$/.test(path),
    });
  });
}
