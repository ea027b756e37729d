import type { IncomingMessage, ServerResponse } from "node:http";
import { type AffinityEntry, AffinityUnavailable } from "../affinity/affinity.js";
import { ownedOnly } from "../affinity/owned-list.js";
import { mayUse, ownerOf } from "../affinity/owner.js";
import { GatewayError, gatewayError } from "../errors.js";
import { newCallId } from "../ids/call-id.js";
import { type SpooledForm, spoolMultipart } from "../multipart/spool.js";
import { handle, type PipelineDeps } from "../pipeline/handle.js";
import type { Principal, ProxyRequest, ProxyResult } from "../pipeline/types.js";
import { missingFile } from "../surface/validate.js";
import { type Cancel, callIdOf, cancelOnClose } from "../upstream/cancel.js";
import { refuseEarly } from "./early-refusal.js";
import { bodyText, parseJsonBody } from "./json-body.js";
import { isMultipart, mediaRefusal } from "./media-type.js";

type Method = "GET" | "POST" | "DELETE";

/** A /v1/files or /v1/batches route: which collection, which object, which action. */
export interface ObjectRoute {
  readonly op: "files" | "batches";
  readonly id: string | undefined;
  readonly action: "content" | "cancel" | undefined;
  readonly methods: readonly Method[];
}

/** Most specific first: `/openai/v1/files` is not `/{openai}/…`. */
const ROOTS = ["/openai/v1/", "/openai/", "/v1/", "/"];

/** The files/batches route a path names, or undefined. */
export function matchObjectPath(path: string): ObjectRoute | undefined {
  const root = ROOTS.find((r) => path.startsWith(r));
  if (root === undefined) return undefined;
  const parts = path.slice(root.length).split("/");
  const op = parts[0];
  if (op !== "files" && op !== "batches") return undefined;
  if (parts.length === 1) return { op, id: undefined, action: undefined, methods: ["GET", "POST"] };
  const id = safeDecode(parts[1]);
  if (!id) return undefined;
  if (parts.length === 2)
    return { op, id, action: undefined, methods: op === "files" ? ["GET", "DELETE"] : ["GET"] };
  if (parts.length === 3 && op === "files" && parts[2] === "content")
    return { op, id, action: "content", methods: ["GET"] };
  if (parts.length === 3 && op === "batches" && parts[2] === "cancel")
    return { op, id, action: "cancel", methods: ["POST"] };
  return undefined;
}

function safeDecode(s: string | undefined): string | undefined {
  if (!s) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export interface ObjectAdapterOptions {
  authenticate: (req: IncomingMessage) => Principal | GatewayError | Promise<Principal | GatewayError>;
  maxBodyBytes: number;
  writeResult: (res: ServerResponse, r: ProxyResult, signal: Cancel, onClose: () => void) => void;
  tooLarge: (req: IncomingMessage, res: ServerResponse, refuse: (e: GatewayError) => void) => void;
}

/**
 * Files and batches. An object lives on the deployment that created it: creating one picks a
 * deployment as any request does (region filter, retries, fallbacks) and remembers id -> deployment
 * (src/affinity/); every follow-up goes to that deployment only, through the same pipeline, and is
 * refused (403) when the caller may not use it. A batch is created where its input file lives.
 */
export function serveObjects(
  deps: PipelineDeps,
  o: ObjectAdapterOptions,
  route: ObjectRoute,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const auth = o.authenticate(req);
  // A virtual key not yet cached is read from the store; the body waits (paused) meanwhile.
  if (auth instanceof Promise) {
    auth.then(
      (p) => serveAuthenticated(deps, o, route, req, res, p),
      () => res.destroy(),
    );
    return;
  }
  serveAuthenticated(deps, o, route, req, res, auth);
}

function serveAuthenticated(
  deps: PipelineDeps,
  o: ObjectAdapterOptions,
  route: ObjectRoute,
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal | GatewayError,
): void {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  const started = performance.now();
  if (principal instanceof GatewayError) {
    refuseEarly(deps.accounting, res, principal, { op: route.op, principal: undefined, started });
    return;
  }
  const who = principal;
  const refuse = (e: GatewayError) =>
    refuseEarly(deps.accounting, res, e, { op: route.op, principal: who, started });
  const method = req.method as Method;
  if (!route.methods.includes(method)) {
    const allowed = route.methods;
    refuse(
      gatewayError(
        "method_not_allowed",
        { method: req.method, path, allowed },
        { headers: { allow: allowed.join(", ") } },
      ),
    );
    return;
  }
  const fail = (err: unknown) => {
    if (err instanceof GatewayError && err.code === "body_too_large") return o.tooLarge(req, res, refuse);
    if (err instanceof GatewayError) {
      req.resume();
      return refuse(err);
    }
    res.destroy();
  };
  // A file is created from an upload, as OpenAI takes it: a JSON body or a form without its file
  // part would reach the upstream as an empty upload.
  const upload = route.op === "files" && route.id === undefined && method === "POST";
  if (upload) {
    const media = mediaRefusal(route.op, path, req.headers["content-type"]);
    if (media) {
      refuse(media);
      return;
    }
  }
  readObjectBody(req, method, o.maxBodyBytes)
    .then(async ({ body, form }) => {
      if (form) res.once("close", () => form.dispose());
      const noFile = upload ? missingFile(route.op, form) : undefined;
      if (noFile) return refuse(noFile);
      const model = routingModel(body, params, req, deps);
      params.delete("model");
      let pinned: ProxyRequest["pinned"];
      let pathModel: string | undefined = model;
      const kind = kindOf(route);
      // A follow-up: the object's own deployment. A new batch: its input file's.
      const held: { kind: "file" | "batch"; id: string } | undefined =
        route.id !== undefined
          ? { kind, id: route.id }
          : route.op === "batches" && method === "POST" && typeof body.input_file_id === "string"
            ? { kind: "file", id: body.input_file_id }
            : undefined;
      if (held) {
        let entry: AffinityEntry | undefined;
        try {
          entry = await deps.affinity.lookup(held.kind, held.id);
        } catch (err) {
          if (err instanceof AffinityUnavailable)
            return refuse(
              gatewayError(
                "object_lookup_unavailable",
                { kind: held.kind },
                { headers: { "retry-after": "1" } },
              ),
            );
          throw err;
        }
        // another tenant's file or batch answers as unknown (src/affinity/owner.ts)
        if (!entry || !mayUse(entry, principal))
          return refuse(gatewayError("object_not_found", held, { param: route.id ? null : "input_file_id" }));
        pinned = { deploymentId: entry.deploymentId, ...held };
        pathModel = groupOf(deps, entry.deploymentId) ?? model;
        if (pathModel === undefined) return refuse(gatewayError("object_not_found", held));
      } else if (pathModel === undefined) {
        return refuse(
          gatewayError("invalid_request", { reason: "missing", param: "model" }, { param: "model" }),
        );
      }
      const { signal, onClose } = cancelOnClose(res);
      const query = params.toString();
      const call: ProxyRequest = {
        op: route.op,
        pathModel,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        form,
        principal,
        callId: newCallId(),
        started: performance.now(),
        signal,
        extra: undefined,
        pinned,
        method,
        subpath:
          route.id === undefined
            ? ""
            : `/${encodeURIComponent(route.id)}${route.action ? `/${route.action}` : ""}`,
        query: query || undefined,
        binary: route.action === "content",
      };
      callIdOf.set(res, call.callId);
      let result = await handle(deps, call);
      await rememberCreated(deps, route, method, result, held, ownerOf(principal));
      if (route.id === undefined && method === "GET") {
        // further pages from the deployment that answered the first (a cursor means nothing elsewhere)
        const served = result.headers["x-litellm-model-id"];
        const next = served
          ? (after: string) => {
              const q = new URLSearchParams(params);
              q.set("after", after);
              // the client's page size may be 1; these pages are read through, not answered
              q.set("limit", String(Math.max(FOLLOW_PAGE, Number(q.get("limit")) || 0)));
              return handle(deps, {
                ...call,
                callId: newCallId(),
                started: performance.now(),
                query: q.toString(),
                pinned: { deploymentId: served, kind, id: after },
              });
            }
          : undefined;
        const limit = Number(params.get("limit") ?? Number.NaN);
        result = await ownedOnly(
          deps.affinity,
          kind,
          principal,
          result,
          Number.isInteger(limit) ? limit : undefined,
          next,
        );
      }
      o.writeResult(res, result, signal, onClose);
    }, fail)
    .catch(fail);
}

/** Which model group a create or list goes to: the form/body `model` or `target_model_names`, `?model=`, `x-litellm-model`, else the first group with mode `batch`. */
function routingModel(
  body: Record<string, unknown>,
  params: URLSearchParams,
  req: IncomingMessage,
  deps: PipelineDeps,
): string | undefined {
  const targets =
    typeof body.target_model_names === "string" ? body.target_model_names.split(",")[0].trim() : undefined;
  const header = req.headers["x-litellm-model"];
  const named =
    (typeof body.model === "string" && body.model) ||
    targets ||
    params.get("model") ||
    (typeof header === "string" ? header : undefined);
  if (named) return named;
  for (const [group, ds] of deps.router.groups) if (ds.some((d) => d.mode === "batch")) return group;
  return undefined;
}

/** Items per upstream page read to fill a filtered list (the batches list's maximum). */
const FOLLOW_PAGE = 100;

/** The affinity kind of the objects a route serves. */
function kindOf(route: ObjectRoute): "file" | "batch" {
  return route.op === "files" ? "file" : "batch";
}

function groupOf(deps: PipelineDeps, deploymentId: string): string | undefined {
  for (const [group, ds] of deps.router.groups) if (ds.some((d) => d.id === deploymentId)) return group;
  return undefined;
}

/** After a create: id -> the deployment that answered. After a file delete: forget it. */
async function rememberCreated(
  deps: PipelineDeps,
  route: ObjectRoute,
  method: Method,
  result: ProxyResult,
  held: { kind: string; id: string } | undefined,
  owner: string | undefined,
): Promise<void> {
  if (result.status < 200 || result.status >= 300) return;
  const deploymentId = result.headers["x-litellm-model-id"];
  if (!deploymentId) return;
  try {
    if (route.id === undefined && method === "POST") {
      const id = (JSON.parse(String(result.body ?? "")) as { id?: unknown }).id;
      if (typeof id === "string") await deps.affinity.remember(kindOf(route), id, deploymentId, { owner });
    } else if (route.op === "files" && method === "DELETE" && held) {
      await deps.affinity.forget("file", held.id);
    }
  } catch (err) {
    // The upstream has the object; only the gateway's record of it failed. The client still gets
    // the upstream's answer, and its follow-ups will be refused (404/503), never misrouted.
    deps.accounting.logger.error({ err, op: route.op }, "could not record where a file/batch lives");
  }
}

/** A form (file upload), a JSON body (batch create, cancel), or nothing (GET, DELETE). */
async function readObjectBody(
  req: IncomingMessage,
  method: Method,
  limit: number,
): Promise<{ body: Record<string, unknown>; form?: SpooledForm }> {
  if (method !== "POST") {
    req.resume();
    return { body: {} };
  }
  if (isMultipart(req.headers["content-type"])) {
    const form = await spoolMultipart(req, limit);
    return { body: form.fields(), form };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw gatewayError("body_too_large", { limit: true });
    chunks.push(c as Buffer);
  }
  const text = bodyText(Buffer.concat(chunks));
  if (text.trim() === "") return { body: {} };
  let value: unknown;
  try {
    value = parseJsonBody(text).value;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw gatewayError("invalid_json", { detail: (err as Error).message });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw gatewayError("invalid_request", { reason: "not_object" }, { param: null });
  return { body: value as Record<string, unknown> };
}
