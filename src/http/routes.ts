import type { ObjectCall } from "../providers/contract.js";
import type { Operation } from "../router/deployment.js";
import { SURFACE_OPERATIONS } from "../surface/operations.js";

/**
 * The one route table of proxied traffic: every path an OpenAI or Azure client may call, and its
 * operation. The proxy adapter answers from it, the 404/405 handler reads it, and so will the OpenAPI
 * document. Create routes are POST only; follow-ups on an object name it in the path (OBJECT_ROUTES).
 */
export const PROXY_OPERATIONS: ReadonlyArray<{ op: Operation; suffix: string }> = [
  { op: "chat", suffix: "chat/completions" },
  { op: "completions", suffix: "completions" },
  { op: "embeddings", suffix: "embeddings" },
  { op: "responses", suffix: "responses" },
  ...SURFACE_OPERATIONS.map(({ op, suffix }) => ({ op, suffix })),
];

type ObjectMethod = ObjectCall["method"];

/**
 * Follow-ups on objects a deployment holds, `{root}/{collection}/{id}[/{sub}]`: they go to the
 * deployment that created the object (src/affinity/). `action` names what is asked of it.
 */
export const OBJECT_ROUTES: ReadonlyArray<{
  op: Operation;
  collection: string;
  sub: string;
  method: ObjectMethod;
  action: string;
}> = [
  { op: "responses", collection: "responses", sub: "", method: "GET", action: "retrieve" },
  { op: "responses", collection: "responses", sub: "", method: "DELETE", action: "delete" },
  { op: "responses", collection: "responses", sub: "cancel", method: "POST", action: "cancel" },
  { op: "responses", collection: "responses", sub: "input_items", method: "GET", action: "input_items" },
];

/** Roots the OpenAI SDKs and Azure's v1 surface (`{resource}/openai/v1/…`) put before a route. */
const ROOTS = ["", "/v1", "/openai", "/openai/v1"];

/** Prefixes before the model name in Azure-style paths (AzureOpenAI SDK, legacy engines). */
const MODEL_PREFIXES = ["/openai/deployments/", "/v1/openai/deployments/", "/engines/"];

export interface ProxyRoute {
  op: Operation;
  /** The model named in the path (Azure style), if any. */
  pathModel: string | undefined;
  /** Methods the path accepts. */
  methods: readonly string[];
  /** A follow-up: the object's id and, per method, what is asked of it. */
  object?: { id: string; actions: Readonly<Partial<Record<ObjectMethod, string>>> };
}

const POST_ONLY: readonly string[] = ["POST"];
const exact = new Map<string, Operation>();
for (const { op, suffix } of PROXY_OPERATIONS) for (const root of ROOTS) exact.set(`${root}/${suffix}`, op);
const bySuffix = new Map(PROXY_OPERATIONS.map(({ op, suffix }) => [`/${suffix}`, op]));
const collections = [...new Set(OBJECT_ROUTES.map((r) => r.collection))];

/**
 * The proxy route a path names; undefined when it names none; "bad_path" when it is a proxy path
 * whose model or id segment is not valid percent-encoding.
 */
export function matchProxyPath(path: string): ProxyRoute | "bad_path" | undefined {
  const op = exact.get(path);
  if (op !== undefined) return { op, pathModel: undefined, methods: POST_ONLY };
  const obj = matchObjectPath(path);
  if (obj !== undefined) return obj;
  for (const prefix of MODEL_PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const slash = path.indexOf("/", prefix.length);
    if (slash <= prefix.length) return undefined;
    const op = bySuffix.get(path.slice(slash));
    if (op === undefined) return undefined;
    const model = decodeSegment(path.slice(prefix.length, slash));
    if (model === undefined) return "bad_path";
    return { op, pathModel: model, methods: POST_ONLY };
  }
  return undefined;
}

function matchObjectPath(path: string): ProxyRoute | "bad_path" | undefined {
  for (const root of ROOTS) {
    for (const collection of collections) {
      const head = `${root}/${collection}/`;
      if (!path.startsWith(head)) continue;
      const rest = path.slice(head.length).split("/");
      if (rest.length > 2 || rest[0] === "") continue;
      const sub = rest[1] ?? "";
      const rows = OBJECT_ROUTES.filter((r) => r.collection === collection && r.sub === sub);
      if (rows.length === 0) continue;
      const id = decodeSegment(rest[0]);
      if (id === undefined) return "bad_path";
      const actions: Partial<Record<ObjectMethod, string>> = {};
      for (const r of rows) actions[r.method] = r.action;
      return {
        op: rows[0].op,
        pathModel: undefined,
        methods: rows.map((r) => r.method),
        object: { id, actions },
      };
    }
  }
  return undefined;
}

function decodeSegment(s: string): string | undefined {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Every proxy path pattern with its operation, for route listings and documentation. */
export function proxyRoutePatterns(): { path: string; op: Operation; pathModel: boolean }[] {
  const out: { path: string; op: Operation; pathModel: boolean }[] = [];
  for (const { op, suffix } of PROXY_OPERATIONS) {
    for (const root of ROOTS) out.push({ path: `${root}/${suffix}`, op, pathModel: false });
    for (const p of MODEL_PREFIXES) out.push({ path: `${p}:model/${suffix}`, op, pathModel: true });
  }
  return out;
}

export function proxyPathPatterns(): string[] {
  return proxyRoutePatterns().map((r) => r.path);
}

/** Every follow-up path pattern with its methods, for route listings. */
export function objectPathPatterns(): Array<{ path: string; methods: string[] }> {
  const byPath = new Map<string, string[]>();
  for (const r of OBJECT_ROUTES) {
    for (const root of ROOTS) {
      const path = `${root}/${r.collection}/:id${r.sub ? `/${r.sub}` : ""}`;
      const list = byPath.get(path) ?? [];
      list.push(r.method);
      byPath.set(path, list);
    }
  }
  return [...byPath].map(([path, methods]) => ({ path, methods }));
}
