import type { FastifyInstance } from "fastify";
import { gatewayError } from "../errors.js";

/** Body nesting the scan follows; deeper input is the route schemas' to refuse. */
const MAX_DEPTH = 64;

/**
 * Input to the admin API that one of the two databases cannot take as given is refused with a 400
 * naming the parameter, the same on SQLite and Postgres: a NUL outside metadata (Postgres refuses NUL in
 * text, so a lookup answered 503 there and 404 on SQLite) and a query parameter given twice (a
 * handler read an array where it expected a string: 500s and 503s). Proxy routes are not scanned:
 * their bodies are the model's input, forwarded as sent.
 */
export function refuseUnstorableAdminInput(app: FastifyInstance): void {
  app.addHook("preValidation", (req, _reply, done) => {
    const routeConfig = req.routeOptions.config as { admin?: boolean } | undefined;
    if (!routeConfig?.admin) return done();
    const problem =
      repeatedOrNul(req.query as Record<string, unknown> | undefined) ??
      nulIn(req.params, "") ??
      nulIn(req.body, "");
    if (!problem) return done();
    const { param, why } = problem;
    done(gatewayError("invalid_request", { reason: "invalid", param, why }, { param }));
  });
}

interface Problem {
  param: string;
  why: string;
}

function repeatedOrNul(q: Record<string, unknown> | undefined): Problem | undefined {
  if (!q) return undefined;
  for (const [name, v] of Object.entries(q)) {
    if (Array.isArray(v)) return { param: name, why: "give it once" };
    if (typeof v === "string" && v.includes("\u0000")) return { param: name, why: "must not contain NUL" };
  }
  return undefined;
}

/** The first string (value or key) holding a NUL, by its path (`keys.0`, as the schemas name it). */
function nulIn(root: unknown, base: string): Problem | undefined {
  const stack: Array<[unknown, string, number]> = [[root, base, 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof v === "string") {
      if (v.includes("\u0000")) return { param: path || "body", why: "must not contain NUL" };
      continue;
    }
    if (v === null || typeof v !== "object" || depth >= MAX_DEPTH) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], path ? `${path}.${i}` : String(i), depth + 1]);
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      // metadata is stored as JSON text, where a NUL is an escape both databases keep
      if (depth === 0 && k === "metadata") continue;
      const at = path ? `${path}.${k}` : k;
      if (k.includes("\u0000")) return { param: at, why: "must not contain NUL" };
      stack.push([child, at, depth + 1]);
    }
  }
  return undefined;
}
