import type { IncomingMessage, ServerResponse } from "node:http";
import { gatewayError } from "../errors.js";
import { writeFailure } from "./failure.js";

/**
 * CORS for every route, proxy and admin alike, applied in one place ahead of both (fast-path.ts).
 *
 * OpenAI routes follow LiteLLM's permissive default (any origin); the key travels in the
 * Authorization header, never in a cookie, so `*` needs no credentials. Admin routes answer a
 * browser only from origins the operator listed: a page on another site must not drive them.
 */
export interface CorsPolicy {
  /** Origins allowed on the OpenAI routes; "*" allows any. */
  client: readonly string[];
  /** Origins allowed on admin routes; "*" allows any (only when the operator writes it). */
  admin: readonly string[];
}

/** What browsers may read off a response: LiteLLM's headers are the point of calling it. */
export const EXPOSED_HEADERS = [
  "x-litellm-call-id",
  "x-litellm-model-id",
  "x-litellm-model-group",
  "x-litellm-model-api-base",
  "x-litellm-api-base",
  "x-litellm-model-region",
  "x-litellm-version",
  "x-litellm-response-cost",
  "x-litellm-response-duration-ms",
  "x-litellm-overhead-duration-ms",
  "x-litellm-attempted-retries",
  "x-litellm-attempted-fallbacks",
  "x-litellm-max-retries",
  "x-meridian-deployment-region",
  "x-meridian-warning",
  "x-meridian-batch-deployments",
  "x-meridian-batch-regions",
  "retry-after",
].join(", ");

const ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/** Preflight answers may be cached this long (seconds); LiteLLM leaves Starlette's 600. */
const MAX_AGE = "600";

/**
 * The OpenAI surface a browser app calls: the proxied operations (all their path shapes) and the
 * model list. Everything else — customers, model info, health details, routes, metrics — is admin.
 */
const CLIENT_PATH =
  /^(?:\/v1)?\/(?:chat\/completions|completions|embeddings|models(?:\/[^/]+)?|(?:openai\/deployments|engines)\/[^/]+\/(?:chat\/completions|completions|embeddings))$/;

export function isClientPath(path: string): boolean {
  return CLIENT_PATH.test(path);
}

export type CorsDecision =
  /** Not a cross-origin request: nothing to add. */
  | { kind: "none" }
  /** Allowed: these headers go on the answer (and a preflight ends here with 204). */
  | { kind: "allow"; headers: Record<string, string> }
  /** An origin this route does not serve. */
  | { kind: "deny" };

/** Pure: what CORS says about one request. */
export function corsDecision(
  policy: CorsPolicy,
  path: string,
  origin: string | undefined,
  preflight: { method: string | undefined; headers: string | undefined } | undefined,
): CorsDecision {
  if (origin === undefined) return { kind: "none" };
  const list = isClientPath(path) ? policy.client : policy.admin;
  const any = list.includes("*");
  if (!any && !list.includes(origin)) return { kind: "deny" };
  const headers: Record<string, string> = {};
  if (any) {
    headers["access-control-allow-origin"] = "*";
  } else {
    // A listed origin may send cookies or HTTP auth (a same-site admin UI behind a proxy, say).
    headers["access-control-allow-origin"] = origin;
    headers["access-control-allow-credentials"] = "true";
  }
  // A mirrored origin makes the answer differ per origin: caches must keep them apart.
  if (!any) headers.vary = "Origin";
  if (preflight) {
    headers["access-control-allow-methods"] = ALLOW_METHODS;
    // Mirror what the browser asks for: SDKs send their own x-stainless-* and similar headers.
    headers["access-control-allow-headers"] = preflight.headers ?? "authorization, content-type";
    headers["access-control-max-age"] = MAX_AGE;
  } else {
    headers["access-control-expose-headers"] = EXPOSED_HEADERS;
  }
  return { kind: "allow", headers };
}

/**
 * Apply CORS to a request on node's server. Returns true when the request has been answered
 * (a preflight, or a refused origin); otherwise the allow headers are set on `res` and the
 * normal handler's writeHead merges them in.
 */
export function applyCors(policy: CorsPolicy, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const origin = header(req, "origin");
  const askedMethod = header(req, "access-control-request-method");
  const isPreflight = req.method === "OPTIONS" && askedMethod !== undefined;
  const d = corsDecision(
    policy,
    path,
    origin,
    isPreflight ? { method: askedMethod, headers: header(req, "access-control-request-headers") } : undefined,
  );
  if (d.kind === "deny") {
    // Only a preflight is refused outright; a plain cross-origin request is answered without
    // allow headers, so the browser withholds the response from the page (as Starlette does).
    if (!isPreflight) return false;
    writeFailure(res, gatewayError("cors_origin_not_allowed", { origin, path, admin: !isClientPath(path) }));
    return true;
  }
  if (d.kind === "allow") {
    if (isPreflight) {
      res.writeHead(204, { ...d.headers, "content-length": "0" });
      res.end();
      return true;
    }
    for (const k in d.headers) res.setHeader(k, d.headers[k]);
  }
  if (req.method === "OPTIONS") {
    // Not CORS (curl -X OPTIONS): say what the gateway accepts, as an HTTP OPTIONS answer should.
    res.writeHead(204, { allow: ALLOW_METHODS, "content-length": "0" });
    res.end();
    return true;
  }
  return false;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
