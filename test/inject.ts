import inject, { type InjectOptions, type Response } from "light-my-request";
import type { Built } from "../src/app.js";

/**
 * A request into the same node handler a socket reaches (the proxy adapter, then Fastify), without a
 * socket: what Fastify's own inject() would be if it knew about the proxy routes.
 */
export function injectInto(built: Built, opts: InjectOptions): Promise<Response> {
  return inject(built.handler, opts);
}
