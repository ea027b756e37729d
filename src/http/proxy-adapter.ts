import type { IncomingMessage, ServerResponse } from "node:http";
import { duplicateIdentityField } from "../customers/duplicate-identity.js";
import { GatewayError, gatewayError } from "../errors.js";
import { newCallId } from "../ids/call-id.js";
import type { SpooledForm } from "../multipart/spool.js";
import { spoolMultipart } from "../multipart/spool.js";
import { batchModels, handleBatch } from "../pipeline/batch.js";
import { handle, type PipelineDeps } from "../pipeline/handle.js";
import type { Principal, ProxyRequest, ProxyResult } from "../pipeline/types.js";
import type { ObjectCall } from "../providers/contract.js";
import { type Cancel, callIdOf, cancelOnClose } from "../upstream/cancel.js";
import { applyCors, type CorsPolicy } from "./cors.js";
import { refuseEarly } from "./early-refusal.js";
import { writeFailure } from "./failure.js";
import { bodyText, parseJsonBody } from "./json-body.js";
import { isMultipart, mediaRefusal } from "./media-type.js";
import { matchObjectPath, serveObjects } from "./object-routes.js";
import { matchProxyPath } from "./routes.js";
import { writeStream } from "./sse.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const LENIENT_WARNING = "request body was not strict JSON: comments and trailing commas were ignored";

export interface AdapterOptions {
  /** Who is calling, or the refusal (no/wrong key, shutting down). */
  authenticate: (req: IncomingMessage) => Principal | GatewayError | Promise<Principal | GatewayError>;
  maxBodyBytes: number;
  cors: CorsPolicy;
}

/**
 * The one adapter of proxy traffic: node's request in, a ProxyResult out and written. Proxy routes
 * (see routes.ts) are answered here, on node's http server ahead of Fastify — whose per-request
 * machinery costs more than everything Meridian does per request; every other path goes to
 * `fallthrough` (Fastify: admin, health, models). Cross-cutting steps run here once, in order:
 * CORS (for every route, Fastify's included), route, authenticate, body limit, JSON parse (and its
 * warning), then the pipeline.
 */
export function proxyAdapter(deps: PipelineDeps, o: AdapterOptions, fallthrough: Handler): Handler {
  const objectOptions = { authenticate: o.authenticate, maxBodyBytes: o.maxBodyBytes, writeResult, tooLarge };
  return (req, res) => {
    const started = performance.now();
    if (req.headers.origin !== undefined || req.method === "OPTIONS") {
      if (applyCors(o.cors, req, res)) return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const route = matchProxyPath(q < 0 ? url : url.slice(0, q));
    if (route === undefined) {
      const objects = matchObjectPath(q < 0 ? url : url.slice(0, q));
      if (objects) return serveObjects(deps, objectOptions, objects, req, res);
      return fallthrough(req, res);
    }
    if (route === "bad_path")
      return refuseEarly(deps.accounting, res, gatewayError("invalid_url", { reason: "model_path" }), {
        op: "unknown",
        principal: undefined,
        started,
      });
    const r = route;
    const refuse = (e: GatewayError, principal: Principal | undefined) =>
      refuseEarly(deps.accounting, res, e, { op: r.op, principal, started });
    // Authentication first, as for every route: without a key, even a wrong method is a 401.
    const auth = o.authenticate(req);
    // A virtual key not yet cached is read from the store; the body waits (paused) meanwhile.
    if (auth instanceof Promise)
      auth.then(
        (p) => serve(p),
        () => res.destroy(),
      );
    else serve(auth);
    function serve(principal: Principal | GatewayError) {
      if (principal instanceof GatewayError) return refuse(principal, undefined);
      const method = req.method ?? "";
      if (!r.methods.includes(method)) {
        return refuse(
          gatewayError(
            "method_not_allowed",
            { method: req.method, path: url.slice(0, q < 0 ? undefined : q), allowed: [...r.methods] },
            { headers: { allow: r.methods.join(", ") } },
          ),
          principal,
        );
      }
      const action = r.object?.actions[method as ObjectCall["method"]];
      const object: ObjectCall | undefined =
        r.object && action
          ? {
              id: r.object.id,
              action,
              method: method as ObjectCall["method"],
              query: q < 0 ? "" : url.slice(q),
            }
          : undefined;
      const go = (body: unknown, extra: Record<string, string> | undefined, form?: SpooledForm) => {
        const { signal, onClose } = cancelOnClose(res);
        if (form) res.once("close", () => form.dispose());
        const call: ProxyRequest = {
          op: r.op,
          pathModel: r.pathModel,
          object,
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body,
          form,
          principal,
          callId: newCallId(),
          started: performance.now(),
          signal,
          extra,
        };
        callIdOf.set(res, call.callId);
        const batch = batchModels(call);
        void (batch ? handleBatch(deps, call, batch) : handle(deps, call)).then((result) =>
          writeResult(res, result, signal, onClose),
        );
      };
      if (object === undefined) {
        const media = mediaRefusal(r.op, url.slice(0, q < 0 ? undefined : q), req.headers["content-type"]);
        if (media) return refuse(media, principal);
        if (isMultipart(req.headers["content-type"])) {
          spoolMultipart(req, o.maxBodyBytes).then(
            (form) => go(form.fields(), undefined, form),
            (err: unknown) => {
              if (err instanceof GatewayError && err.code === "body_too_large")
                return tooLarge(req, res, (e) => refuse(e, principal));
              if (err instanceof GatewayError) {
                req.resume();
                return refuse(err, principal);
              }
              res.destroy();
            },
          );
          return;
        }
      }
      readBody(
        req,
        res,
        o.maxBodyBytes,
        (e) => refuse(e, principal),
        (text) => {
          let body: unknown;
          let extra: Record<string, string> | undefined;
          if (text !== "") {
            try {
              const parsed = parseJsonBody(text);
              body = parsed.value;
              const twice = duplicateIdentityField(parsed.parsed);
              if (twice)
                return refuse(
                  gatewayError("conflicting_identity", { field: twice }, { param: twice }),
                  principal,
                );
              if (parsed.lenient) extra = { "x-meridian-warning": LENIENT_WARNING };
            } catch (err) {
              if (err instanceof GatewayError) return refuse(err, principal); // e.g. nesting_too_deep
              return refuse(gatewayError("invalid_json", { detail: (err as Error).message }), principal);
            }
          }
          go(body, extra);
        },
      );
    }
  };
}

/** Write what the pipeline answered; tell it once written (for a stream: how it ended). */
export function writeResult(res: ServerResponse, r: ProxyResult, signal: Cancel, onClose: () => void): void {
  if (r.stream) {
    writeStream(res, r.status, r.headers, r.stream, signal).then(
      (end) => {
        res.off("close", onClose);
        r.written?.(end);
      },
      () => res.destroy(),
    );
    return;
  }
  res.off("close", onClose);
  if (res.headersSent || res.destroyed) {
    res.destroy();
  } else {
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  }
  // After the answer is on its way: the log line and metrics are not the client's wait.
  r.written?.(undefined);
}

/** The whole body as text, within `limit` bytes; an oversized body gets a 413 and its connection closed. */
function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  refuse: (e: GatewayError) => void,
  done: (text: string) => void,
) {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return tooLarge(req, res, refuse);
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (c: Buffer) => {
    size += c.length;
    if (size > limit) {
      req.off("data", onData);
      return tooLarge(req, res, refuse);
    }
    chunks.push(c);
  };
  req.on("data", onData);
  req.once("end", () => {
    if (size > limit) return;
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    // onData stays registered on a request that lives as long as its response (a stream's minutes)
    chunks.length = 0;
    let text: string;
    try {
      text = bodyText(bytes);
    } catch (err) {
      return refuse(err as GatewayError);
    }
    done(text);
  });
  // A client that leaves mid-body: nobody to answer.
  req.once("error", () => res.destroy());
}

function tooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  refuse: (e: GatewayError) => void = (e) => writeFailure(res, e),
): void {
  refuse(gatewayError("body_too_large", { limit: true }, { headers: { connection: "close" } }));
  req.resume(); // drain what is in flight; the connection closes after the answer
}
