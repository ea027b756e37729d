import type { FastifyInstance, FastifyRequest } from "fastify";
import { routeCallType } from "../audit/record.js";
import { newCallId } from "../ids/call-id.js";
import type { Accounting } from "../pipeline/account.js";
import { UNRESTRICTED } from "../router/filters.js";
import { principalOf } from "./access-schemas.js";

/**
 * A spend-log record for each request Fastify answers that changes something or is refused — the
 * admin API's creates, updates and deletes, any refusal (a wrong key, a virtual key on an admin
 * route, an unknown path) — as the proxy path keeps one for every model request (issue 15: one record
 * per request, refusals included). It says who called, which route (the route's pattern, never the
 * raw path or a body: admin bodies carry keys), the status and the error code, under the call id
 * the answer carries. Successful reads (GET, HEAD, OPTIONS) and public routes leave none: the admin
 * page polls, and probes and polls would bury the model traffic the log is for.
 */
export function recordFastifyRequests(app: FastifyInstance, acc: Accounting): void {
  const sink = acc.spend;
  if (!sink) return;
  const errorCodes = new WeakMap<FastifyRequest, string>();
  app.addHook("onSend", (req, reply, payload, done) => {
    if (!reply.hasHeader("x-litellm-call-id")) reply.header("x-litellm-call-id", newCallId());
    if (reply.statusCode >= 400) errorCodes.set(req, errorCodeOf(payload));
    done(null, payload);
  });
  app.addHook("onResponse", (req, reply, done) => {
    const status = reply.statusCode;
    if (status < 400 && (READS.has(req.method) || publicRoute(req))) return done();
    const now = Date.now();
    const route = req.routeOptions.url;
    sink.add({
      callId: String(reply.getHeader("x-litellm-call-id") ?? newCallId()),
      op: route === undefined ? "unknown" : routeCallType(req.method, route),
      who: principalOf(req) ?? {},
      model: undefined,
      group: undefined,
      policy: UNRESTRICTED,
      deployment: undefined,
      attempts: [],
      usage: undefined,
      cost: undefined,
      startMs: now - reply.elapsedTime,
      endMs: now,
      firstChunkMs: undefined,
      httpStatus: status,
      error: status >= 400 ? { code: errorCodes.get(req) ?? "unknown" } : undefined,
      stream: undefined,
    });
    done();
  });
}

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

function publicRoute(req: FastifyRequest): boolean {
  return (req.routeOptions.config as { public?: boolean } | undefined)?.public === true;
}

/** The envelope's `error.code` of a refusal as sent (every refusal is one: http/errors.ts). */
function errorCodeOf(payload: unknown): string {
  if (typeof payload !== "string" && !Buffer.isBuffer(payload)) return "unknown";
  try {
    const code = (JSON.parse(String(payload)) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" && code !== "" ? code : "unknown";
  } catch {
    return "unknown";
  }
}
