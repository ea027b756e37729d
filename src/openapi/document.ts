import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ERRORS } from "../errors.js";
import { proxyRoutePatterns } from "../http/routes.js";
import { VERSION } from "../version.js";
import { proxyBodySchema } from "./proxy-schemas.js";

/**
 * What an admin or ops route says about itself, in its Fastify route `config.openapi`: the same zod
 * schemas its handler validates with, so the document is what is enforced.
 */
export interface RouteDoc {
  summary?: string;
  tags?: string[];
  body?: z.ZodType;
  query?: z.ZodType;
}

interface RouteConfig {
  public?: boolean;
  admin?: boolean;
  openapi?: RouteDoc;
}

interface Collected {
  path: string;
  method: string;
  config: RouteConfig | undefined;
}

type Json = Record<string, unknown>;

/**
 * Records every Fastify route as it is registered (call before any route is added) and returns a
 * function building the OpenAPI 3.1 document from them and the proxy route table.
 */
export function collectOpenApi(app: FastifyInstance): () => Json {
  const routes: Collected[] = [];
  app.addHook("onRoute", (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
      // HEAD twins of GET routes, wildcard static routes and CORS preflights are not API operations.
      if (method === "HEAD" || method === "OPTIONS" || r.url.includes("*")) continue;
      routes.push({ path: r.url, method: method.toLowerCase(), config: r.config as RouteConfig });
    }
  });
  let doc: Json | undefined;
  return () => {
    doc ??= buildDocument(routes);
    return doc;
  };
}

function buildDocument(routes: Collected[]): Json {
  const paths: Record<string, Json> = {};
  const add = (path: string, method: string, op: Json) => {
    const p = openApiPath(path);
    paths[p] = { ...paths[p], [method]: op };
  };
  for (const r of proxyRoutePatterns()) {
    const schema = proxyBodySchema(r.op, r.pathModel);
    add(r.path, "post", {
      operationId: operationId("post", r.path),
      tags: ["proxy"],
      summary: `${r.op} (OpenAI-compatible, region-filtered)`,
      ...(r.pathModel ? { parameters: [pathParam("model")] } : {}),
      requestBody: {
        required: true,
        content: { "application/json": { schema: schema ? jsonSchema(schema) : { type: "object" } } },
      },
      responses: {
        "200": {
          description: "The upstream's answer (JSON), or an event stream when `stream` is true",
          content: { "application/json": { schema: { type: "object" } }, "text/event-stream": {} },
        },
        default: errorResponse(),
      },
      security: [{ bearer: [] }],
    });
  }
  for (const r of routes) {
    const d = r.config?.openapi;
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => pathParam(m[1] as string));
    if (d?.query) params.push(...queryParams(d.query));
    add(r.path, r.method, {
      operationId: operationId(r.method, r.path),
      tags: d?.tags ?? [r.config?.admin ? "admin" : "ops"],
      summary: d?.summary ?? `${r.method.toUpperCase()} ${r.path}`,
      ...(params.length ? { parameters: params } : {}),
      ...(d?.body
        ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(d.body) } } } }
        : {}),
      responses: { "200": { description: "OK" }, default: errorResponse() },
      ...(r.config?.public ? { security: [] } : {}),
    });
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Meridian",
      version: VERSION,
      description:
        "OpenAI-compatible LLM gateway with provable data residency; a drop-in for LiteLLM's proxy.",
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "master key (sk-…)" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["message", "type", "param", "code"],
              properties: {
                message: { type: "string" },
                type: { type: "string" },
                param: { type: ["string", "null"] },
                code: { type: "string", enum: Object.keys(ERRORS) },
              },
            },
          },
        },
      },
    },
  };
}

function jsonSchema(s: z.ZodType): Json {
  const out = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

function queryParams(s: z.ZodType): Json[] {
  const js = jsonSchema(s) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
    name,
    in: "query",
    required: js.required?.includes(name) ?? false,
    schema,
  }));
}

function pathParam(name: string): Json {
  return { name, in: "path", required: true, schema: { type: "string" } };
}

function errorResponse(): Json {
  return {
    description: "An OpenAI-style error envelope; `code` is one of Meridian's registry codes",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
}

/** Fastify's `/models/:model` is OpenAPI's `/models/{model}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, "{$1}");
}

function operationId(method: string, path: string): string {
  return `${method}_${path.replace(/[^a-zA-Z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`;
}
