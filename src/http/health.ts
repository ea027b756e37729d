import type { FastifyInstance, FastifyReply } from "fastify";
import { VERSION } from "../version.js";
import type { Gateway } from "./gateway.js";

export function registerHealthRoutes(
  app: FastifyInstance,
  gw: Gateway,
  state: { shuttingDown: boolean },
): void {
  // LiteLLM (FastAPI) answers with the JSON string, quotes included; probes and scripts compare that.
  const aliveBody = JSON.stringify("I'm alive!");
  const alive = async (_req: unknown, reply: FastifyReply) => reply.type("application/json").send(aliveBody);
  app.get("/health/liveliness", { config: { public: true } }, alive);
  app.get("/health/liveness", { config: { public: true } }, alive);

  const readiness = async (_req: unknown, reply: FastifyReply) => {
    const { ready, body } = await readinessReport(gw, state.shuttingDown);
    reply.code(ready ? 200 : 503);
    return body;
  };
  app.get("/health/readiness", { config: { public: true } }, readiness);
  // LiteLLM's authenticated twin of readiness (its e2e tests read litellm_version there).
  app.get("/health/readiness/details", readiness);
}

async function readinessReport(gw: Gateway, shuttingDown: boolean) {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  try {
    await gw.store.ping();
    checks.db = { ok: true, detail: gw.store.kind };
  } catch (err) {
    checks.db = { ok: false, detail: `${gw.store.kind}: ${(err as Error).message}` };
  }
  for (const check of gw.health) {
    const r = await check();
    checks[r.name] = { ok: r.ok, detail: r.detail };
  }
  // The store decides readiness; a shared-state outage degrades (local state) but still serves.
  const ready = checks.db.ok && !shuttingDown;
  return {
    ready,
    body: {
      status: ready ? "healthy" : shuttingDown ? "shutting_down" : "unhealthy",
      db: checks.db.ok ? "connected" : "unreachable",
      // LiteLLM names its cache backend here; Meridian's shared state is Redis when configured.
      cache: gw.config.general.redisUrl ? "redis" : null,
      // LiteLLM lists its logging callbacks; Meridian has none to list (its request log is built in).
      success_callbacks: [],
      checks,
      litellm_version: VERSION,
      meridian_version: VERSION,
      deployments: gw.config.deployments.length,
    },
  };
}
