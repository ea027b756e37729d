import type { FastifyInstance, FastifyRequest } from "fastify";
import { gatewayError } from "../errors.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { callDeployment } from "../upstream/call.js";
import { Cancel } from "../upstream/cancel.js";
import type { Gateway } from "./gateway.js";

/**
 * LiteLLM's `GET /health`: one cheap call to each deployment, reported as healthy and unhealthy
 * endpoints. Admin only (the onRequest hook wants the master key; the route is not public).
 *
 * The call is built by the same provider code as real traffic (callDeployment) but bypasses the
 * router: a failing health check puts no deployment in cooldown and counts no failure.
 */
export interface HealthOptions {
  concurrency: number;
  /** Per-call ceiling; a deployment's own shorter timeout wins. */
  timeoutMs: number;
  /** How long one round of results is reused (operators and probes poll). */
  cacheMs: number;
}

export const HEALTH_DEFAULTS: HealthOptions = { concurrency: 4, timeoutMs: 10_000, cacheMs: 5_000 };

export interface HealthReport {
  healthy_endpoints: Record<string, unknown>[];
  unhealthy_endpoints: Record<string, unknown>[];
  healthy_count: number;
  unhealthy_count: number;
}

type Outcome = { ok: true } | { ok: false; error: string };

export function registerOpsHealthRoute(
  app: FastifyInstance,
  gw: Gateway,
  opts: HealthOptions = HEALTH_DEFAULTS,
): void {
  // Keyed by the filter; an in-flight round is shared, so a burst of polls makes one round of calls.
  const cache = new Map<string, { at: number; report: Promise<HealthReport> }>();
  app.get("/health", async (req: FastifyRequest) => {
    const q = req.query as { model?: string; model_id?: string };
    const chosen = selectDeployments(gw, q.model, q.model_id);
    const key = `${q.model ?? ""}\u0000${q.model_id ?? ""}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < opts.cacheMs) return hit.report;
    const report = checkAll(gw, chosen, opts);
    cache.set(key, { at: now, report });
    // A round that failed as a whole (a bug) is not kept.
    report.catch(() => cache.delete(key));
    return report;
  });
}

function selectDeployments(
  gw: Gateway,
  model: string | undefined,
  modelId: string | undefined,
): Deployment[] {
  let list = gw.config.deployments;
  if (modelId !== undefined) {
    list = list.filter((d) => d.id === modelId);
    if (list.length === 0)
      throw gatewayError("not_found", { reason: "deployment", modelId }, { param: "model_id" });
  }
  if (model !== undefined) {
    const group = gw.router.resolveGroup(model) ?? model;
    list = list.filter((d) => d.modelGroup === group);
    if (list.length === 0) throw gatewayError("model_not_found", { model }, { param: "model" });
  }
  return list;
}

export async function checkAll(
  gw: Gateway,
  list: readonly Deployment[],
  opts: HealthOptions,
): Promise<HealthReport> {
  const outcomes = await mapLimited(list, opts.concurrency, (d) => checkOne(gw, d, opts.timeoutMs));
  const report: HealthReport = {
    healthy_endpoints: [],
    unhealthy_endpoints: [],
    healthy_count: 0,
    unhealthy_count: 0,
  };
  list.forEach((d, i) => {
    const o = outcomes[i];
    if (o.ok) report.healthy_endpoints.push(endpointView(d));
    else report.unhealthy_endpoints.push({ ...endpointView(d), error: o.error });
  });
  report.healthy_count = report.healthy_endpoints.length;
  report.unhealthy_count = report.unhealthy_endpoints.length;
  return report;
}

/** The operation a deployment is probed with, from its declared mode (LiteLLM's rule). */
export function probeOf(d: Deployment): { op: Operation; body: Record<string, unknown> } {
  if (d.mode === "embedding") return { op: "embeddings", body: { model: d.modelGroup, input: ["ping"] } };
  // a Responses-only model (LiteLLM's mode "responses") is probed at /responses, unless it is translated
  if (
    d.mode === "responses" &&
    !d.useChatCompletionsApi &&
    (d.provider === "openai" || d.provider === "azure")
  )
    return { op: "responses", body: { model: d.modelGroup, input: "ping", max_output_tokens: 16 } };
  if (d.mode === "completion")
    return { op: "completions", body: { model: d.modelGroup, prompt: "ping", max_tokens: 1 } };
  return {
    op: "chat",
    body: { model: d.modelGroup, messages: [{ role: "user", content: "ping" }], max_tokens: 1 },
  };
}

async function checkOne(gw: Gateway, d: Deployment, ceilingMs: number): Promise<Outcome> {
  // A mock answers from config: there is nothing to reach.
  if (d.mockResponse !== undefined) return { ok: true };
  const target = gw.upstream.targets.get(d.id);
  if (!target) return { ok: false, error: "no upstream target for this deployment" };
  const limit = Math.min(d.timeoutMs, ceilingMs);
  const probe: Deployment = { ...d, timeoutMs: limit, streamTimeoutMs: limit };
  const { op, body } = probeOf(d);
  try {
    const r = await callDeployment(probe, target, gw.upstream.providers[d.provider], gw.upstream.pools, {
      op,
      body,
      stream: false,
      wantUsage: false,
      clientWantsUsage: false,
      signal: new Cancel(),
    });
    if (r.ok) return { ok: true };
    return { ok: false, error: `${r.failure.code}: ${r.failure.message}` };
  } catch (err) {
    gw.logger.error({ err, deployment: d.id }, "health check failed unexpectedly");
    return { ok: false, error: "internal error while checking; see the gateway log" };
  }
}

/** LiteLLM shows litellm_params minus secrets; Meridian adds the deployment's id and region. */
export function endpointView(d: Deployment): Record<string, unknown> {
  const v: Record<string, unknown> = { model: `${d.provider}/${d.upstreamModel}` };
  if (d.apiBase) v.api_base = d.apiBase;
  if (d.apiVersion) v.api_version = d.apiVersion;
  if (d.regionName) v.region_name = d.regionName;
  if (d.rpm !== undefined) v.rpm = d.rpm;
  if (d.tpm !== undefined) v.tpm = d.tpm;
  if (d.mockResponse !== undefined) v.mock_response = d.mockResponse;
  v.model_name = d.modelGroup;
  v.model_id = d.id;
  v.region = d.geography ?? null;
  return v;
}

/** Map with at most `limit` calls in flight; results keep the input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
