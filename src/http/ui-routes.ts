import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { gatewayError } from "../errors.js";
import { publicApiBase } from "../router/deployment.js";
import type { Gateway } from "./gateway.js";

/**
 * Where `npm run build` puts the admin page (vite, ui/ -> dist/ui): beside the bundle
 * (dist/meridian.cjs) or two levels up from this module (src/http, dist/http).
 */
export function uiDir(): string | undefined {
  for (const rel of ["./ui/", "../../dist/ui/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

/**
 * `/ui/`: the admin page, static files that hold no data (public, like LiteLLM's /ui); everything
 * it shows comes from admin routes with the master key the operator types in. `/meridian/overview`:
 * deployments with their residency evidence and state, and traffic by geography, for the page.
 */
export async function registerUiRoutes(app: FastifyInstance, gw: Gateway, dir = uiDir()): Promise<void> {
  app.get(
    "/meridian/overview",
    {
      config: {
        admin: true,
        openapi: {
          tags: ["admin"],
          summary: "Deployments by geography with state, and traffic by geography",
        },
      },
    },
    async () => {
      const now = Date.now();
      const deployments = gw.config.deployments.map((d) => {
        const state =
          gw.metrics?.deploymentState(d.id, now) ?? (gw.router.state.cooldownUntil(d.id, now) > now ? 2 : 0);
        const until = gw.router.state.cooldownUntil(d.id, now);
        return {
          id: d.id,
          model_group: d.modelGroup,
          provider: d.provider,
          model: `${d.provider}/${d.upstreamModel}`,
          api_base: publicApiBase(d.apiBase) ?? null,
          geography: d.geography ?? null,
          region_name: d.regionName ?? null,
          region_source: d.regionSource,
          evidence: d.evidence ?? null,
          state: state === 2 ? "cooling" : state === 1 ? "partial_outage" : "healthy",
          cooldown_seconds: until > now ? Math.ceil((until - now) / 1000) : 0,
        };
      });
      const counts = gw.metrics ? await gw.metrics.geographyCounts() : { served: [], refusals: [] };
      return { generated_at: new Date(now).toISOString(), deployments, ...counts };
    },
  );
  app.get("/ui", { config: { public: true } }, async (_req, reply) => reply.redirect("/ui/", 302));
  if (!dir) {
    app.get("/ui/", { config: { public: true } }, async () => {
      throw gatewayError("not_found", { reason: "ui_not_built" });
    });
    return;
  }
  await app.register(async (scope) => {
    scope.addHook("onRoute", (r) => {
      r.config = { ...(r.config as object), public: true };
    });
    await scope.register(fastifyStatic, { root: dir, prefix: "/ui/", decorateReply: false });
  });
}
