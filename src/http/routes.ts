import type { Operation } from "../router/deployment.js";

/**
 * The one route table of proxied traffic: every path an OpenAI or Azure client may call, and its
 * operation. The proxy adapter answers from it, the 404/405 handler reads it, and so will the OpenAPI
 * document. Proxy routes are POST only.
 */
export const PROXY_OPERATIONS: ReadonlyArray<{ op: Operation; suffix: string }> = [
  { op: "chat", suffix: "chat/completions" },
  { op: "completions", suffix: "completions" },
  { op: "embeddings", suffix: "embeddings" },
];

/** Prefixes before the model name in Azure-style paths (AzureOpenAI SDK, legacy engines). */
const MODEL_PREFIXES = ["/openai/deployments/", "/v1/openai/deployments/", "/engines/"];

export interface ProxyRoute {
  op: Operation;
  /** The model named in the path (Azure style), if any. */
  pathModel: string | undefined;
}

const exact = new Map<string, Operation>();
for (const { op, suffix } of PROXY_OPERATIONS) {
  exact.set(`/${suffix}`, op);
  exact.set(`/v1/${suffix}`, op);
}
const bySuffix = new Map(PROXY_OPERATIONS.map(({ op, suffix }) => [`/${suffix}`, op]));

/**
 * The proxy route a path names; undefined when it names none; "bad_path" when it is a proxy path
 * whose model segment is not valid percent-encoding.
 */
export function matchProxyPath(path: string): ProxyRoute | "bad_path" | undefined {
  const op = exact.get(path);
  if (op !== undefined) return { op, pathModel: undefined };
  for (const prefix of MODEL_PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const slash = path.indexOf("/", prefix.length);
    if (slash <= prefix.length) return undefined;
    const op = bySuffix.get(path.slice(slash));
    if (op === undefined) return undefined;
    let model = path.slice(prefix.length, slash);
    if (model.includes("%")) {
      try {
        model = decodeURIComponent(model);
      } catch {
        return "bad_path";
      }
    }
    return { op, pathModel: model };
  }
  return undefined;
}

/** Every proxy path pattern with its operation, for route listings and documentation. */
export function proxyRoutePatterns(): { path: string; op: Operation; pathModel: boolean }[] {
  const out: { path: string; op: Operation; pathModel: boolean }[] = [];
  for (const { op, suffix } of PROXY_OPERATIONS) {
    out.push({ path: `/${suffix}`, op, pathModel: false }, { path: `/v1/${suffix}`, op, pathModel: false });
    for (const p of MODEL_PREFIXES) out.push({ path: `${p}:model/${suffix}`, op, pathModel: true });
  }
  return out;
}

export function proxyPathPatterns(): string[] {
  return proxyRoutePatterns().map((r) => r.path);
}
