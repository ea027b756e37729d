import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import type { Operation } from "../router/deployment.js";
import type { accessCheck } from "./access.js";
import { applyCors, type CorsPolicy } from "./cors.js";
import { writeFailure } from "./failure.js";
import type { Gateway } from "./gateway.js";
import { parseJsonBody } from "./json-body.js";
import { PROXY_OPS, proxy } from "./proxy.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const LENIENT_WARNING = "request body was not strict JSON: comments and trailing commas were ignored";

/**
 * The proxy routes straight on node's http server, ahead of Fastify. Fastify's per-request
 * machinery (router, hooks, content-type parser, reply) costs more than everything Meridian itself
 * does per request; the proxy needs none of it. The same checks run in the same order as Fastify's
 * routes (access, body limit, JSON, then proxy()), and anything that is not a POST to a proxy path
 * goes to Fastify unchanged.
 */
export function proxyFastPath(
  gw: Gateway,
  access: ReturnType<typeof accessCheck>,
  fallthrough: Handler,
): Handler {
  const exact = new Map<string, Operation>();
  for (const [op, suffix] of PROXY_OPS) {
    exact.set(`/${suffix}`, op);
    exact.set(`/v1/${suffix}`, op);
  }
  const limit = gw.config.general.maxBodyBytes;
  const cors: CorsPolicy = {
    client: gw.config.general.corsOrigins,
    admin: gw.config.general.adminCorsOrigins,
  };

  return (req, res) => {
    // Every request passes here first, Fastify's included: CORS is decided once for both kinds.
    if (req.headers.origin !== undefined || req.method === "OPTIONS") {
      if (applyCors(cors, req, res)) return;
    }
    if (req.method !== "POST") return fallthrough(req, res);
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    let op = exact.get(path);
    let pathModel: string | undefined;
    if (op === undefined) {
      const m = modelInPath(path);
      if (!m) return fallthrough(req, res);
      op = m.op;
      pathModel = m.model;
    }
    const refused = access(req.headers, "POST", url);
    if (refused) return writeFailure(res, refused);
    readBody(req, res, limit, (text) => {
      let body: unknown;
      let extra: Record<string, string> | undefined;
      if (text !== "") {
        try {
          const parsed = parseJsonBody(text);
          body = parsed.value;
          if (parsed.lenient) extra = { "x-meridian-warning": LENIENT_WARNING };
        } catch (err) {
          if (err instanceof GatewayError) return writeFailure(res, err);
          return writeFailure(
            res,
            new GatewayError("invalid_json", `Request body is not valid JSON: ${(err as Error).message}`),
          );
        }
      }
      void proxy(gw, { op, pathModel, headers: req.headers, rawHeaders: req.rawHeaders, body, res, extra });
    });
  };
}

const AZURE =
  /^(?:\/v1)?\/(?:openai\/deployments|engines)\/([^/]+)\/(chat\/completions|completions|embeddings)$/;
const OP_OF: Record<string, Operation> = {
  "chat/completions": "chat",
  completions: "completions",
  embeddings: "embeddings",
};

/** `/openai/deployments/{model}/…`, `/v1/openai/deployments/{model}/…` and `/engines/{model}/…`. */
function modelInPath(path: string): { op: Operation; model: string } | undefined {
  const m = AZURE.exec(path);
  if (!m) return undefined;
  // Fastify has no `/v1/engines/…` route; keep the two paths answering the same.
  if (path.startsWith("/v1/engines/")) return undefined;
  let model = m[1];
  if (model.includes("%")) {
    try {
      model = decodeURIComponent(model);
    } catch {
      return undefined; // Fastify answers a malformed path its own way
    }
  }
  return { op: OP_OF[m[2]], model };
}

const TOO_LARGE = "Request body is larger than the configured limit (general_settings.max_request_size_mb).";

/** The whole body as text, within `limit` bytes; an oversized body gets a 413 and its connection closed. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number, done: (text: string) => void) {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return tooLarge(req, res);
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (c: Buffer) => {
    size += c.length;
    if (size > limit) {
      req.off("data", onData);
      return tooLarge(req, res);
    }
    chunks.push(c);
  };
  req.on("data", onData);
  req.once("end", () => {
    if (size > limit) return;
    const text = chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8");
    // onData stays registered on a request that lives as long as its response (a stream's minutes)
    chunks.length = 0;
    done(text);
  });
  // A client that leaves mid-body: nobody to answer.
  req.once("error", () => res.destroy());
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  writeFailure(res, new GatewayError("body_too_large", TOO_LARGE, { headers: { connection: "close" } }));
  req.resume(); // drain what is in flight; the connection closes after the answer
}
