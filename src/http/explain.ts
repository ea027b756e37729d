import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { MasterKey, presentedKey } from "../auth/keys.js";
import { GatewayError, gatewayError } from "../errors.js";
import { explainLimits } from "../limits/explain.js";
import { aliasModel } from "../limits/stage.js";
import { resolveModel } from "../pipeline/model.js";
import { policyFor } from "../pipeline/policy.js";
import { MASTER, OPEN, type Principal, type ProxyRequest } from "../pipeline/types.js";
import type { Operation } from "../router/deployment.js";
import { explainRoute } from "../router/explain.js";
import type { RegionPolicy } from "../router/filters.js";
import { Cancel } from "../upstream/cancel.js";
import type { Gateway } from "./gateway.js";

const OPS: readonly Operation[] = ["chat", "completions", "embeddings"];

/**
 * POST /route/explain (admin): where a request would go now, and why every other deployment would
 * not serve it. Body: `{"body": {request}, "headers": {..}, "end_user_id"?: "..", "operation"?: "chat"}`
 * (or the request body itself). No upstream call, nothing recorded, no routing state claimed.
 */
export function registerExplainRoute(app: FastifyInstance, gw: Gateway): void {
  const explainBody = z.object({
    body: z.record(z.string(), z.unknown()),
    headers: z.record(z.string(), z.string()).optional(),
    end_user_id: z.string().optional(),
    key: z
      .string()
      .optional()
      .describe("explain as this virtual key: the key itself (sk-...) or its sha256 hash (the token)"),
    operation: z.enum(["chat", "completions", "embeddings"]).optional(),
  });
  const summary =
    "Dry run: where a request would be routed now, and why each deployment would or would not serve it";
  app.post(
    "/route/explain",
    { config: { admin: true, openapi: { summary, tags: ["routing"], body: explainBody } } },
    async (req) => {
      const input = req.body;
      if (input === null || typeof input !== "object" || Array.isArray(input))
        throw gatewayError("invalid_request", { reason: "not_object" });
      const o = input as Record<string, unknown>;
      const body = o.body !== undefined ? o.body : o;
      const op = (o.operation ?? "chat") as Operation;
      if (!OPS.includes(op))
        throw gatewayError(
          "invalid_request",
          { reason: "invalid", param: "operation", why: `expected one of ${OPS.join(", ")}` },
          { param: "operation" },
        );
      const headers: Record<string, string> = {};
      if (o.headers !== undefined) {
        if (o.headers === null || typeof o.headers !== "object" || Array.isArray(o.headers))
          throw gatewayError(
            "invalid_request",
            { reason: "invalid", param: "headers", why: "must be an object of strings" },
            { param: "headers" },
          );
        for (const [k, v] of Object.entries(o.headers)) {
          if (typeof v !== "string")
            throw gatewayError(
              "invalid_request",
              { reason: "invalid", param: `headers.${k}`, why: "must be a string" },
              { param: `headers.${k}` },
            );
          headers[k.toLowerCase()] = v;
        }
      }
      if (o.end_user_id !== undefined) {
        if (typeof o.end_user_id !== "string" || o.end_user_id === "")
          throw gatewayError(
            "invalid_request",
            { reason: "invalid", param: "end_user_id", why: "must be a non-empty string" },
            { param: "end_user_id" },
          );
        headers["x-litellm-customer-id"] = o.end_user_id;
      }
      if (o.key !== undefined && (typeof o.key !== "string" || o.key === ""))
        throw gatewayError(
          "invalid_request",
          { reason: "invalid", param: "key", why: "must be a key or its hash" },
          { param: "key" },
        );
      const who = await principalFor(gw, (o.key as string | undefined) ?? presentedKey(headers));
      if (who instanceof GatewayError)
        return { model_group: null, requested_model: null, end_user: null, refusal: who.toJSON().error };
      const call: ProxyRequest = {
        op,
        pathModel: undefined,
        headers,
        rawHeaders: undefined,
        body: structuredClone(body),
        principal: who,
        callId: "explain",
        started: performance.now(),
        signal: new Cancel(),
        extra: undefined,
      };
      if (who.grant) aliasModel(call);
      const m = resolveModel(gw.router, gw.modelNames, op, call.body, undefined);
      call.body = m.body;
      let policy: RegionPolicy;
      let endUser: string | undefined;
      try {
        const p = policyFor({ customers: gw.customers }, call, m.body);
        endUser = p.endUserId;
        policy = p.policy ?? (await (p.pending as Promise<RegionPolicy>));
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        // The real request would be refused before any routing: say so, in the envelope it would get.
        return {
          model_group: m.group,
          requested_model: m.model,
          end_user: endUser ?? null,
          key: keyView(who),
          refusal: err.toJSON().error,
        };
      }
      const limits = await explainLimits(gw.limits, who, m.model, m.group, policy.endUserId);
      // as the attempt loop estimates it: from the size of the body as sent
      const est = Math.ceil(Buffer.byteLength(JSON.stringify(body)) / 4);
      const e = explainRoute(gw.router, m.group, m.model, policy, Date.now(), est);
      return {
        model_group: m.group,
        requested_model: m.model,
        end_user: policy.endUserId ?? null,
        policy: {
          allowed: policy.allowed === null ? null : [...policy.allowed].sort(),
          sources: policy.sources.map((s) => ({
            source: s.source,
            id: s.id ?? null,
            allowed: [...s.allowed].sort(),
          })),
        },
        key: keyView(who),
        limits: {
          models: limits.models,
          budgets: limits.budgets,
          // as of now: a request arriving in between may take the last one
          rates: limits.rates,
        },
        // the limits stage refuses before any attempt: then nothing is picked
        refusal: limits.refusal?.toJSON().error ?? null,
        pick: limits.refusal ? null : e.pick,
        groups: e.groups,
      };
    },
  );
}

const TOKEN = /^[0-9a-f]{64}$/;

/**
 * Who the dry run is for: a virtual key (the key, or its hash) as the proxy would authenticate it —
 * blocked, expired or unknown keys get the refusal the request would get; the master key; or, with
 * no key named, the master key (the admin asking).
 */
async function principalFor(gw: Gateway, key: string | undefined): Promise<Principal | GatewayError> {
  const master = gw.config.general.masterKey;
  if (key === undefined) return master ? MASTER : OPEN;
  if (master && new MasterKey(master).matches(key)) return MASTER;
  if (TOKEN.test(key)) return gw.access.keys.byToken(key);
  return gw.access.keys.authenticate(key);
}

function keyView(p: Principal) {
  return {
    kind: p.kind,
    token: p.keyHash ?? null,
    key_alias: p.keyAlias ?? null,
    team_id: p.teamId ?? null,
    user_id: p.userId ?? null,
    regions: p.regions.map((r) => ({ source: r.source, id: r.id ?? null, allowed: [...r.allowed].sort() })),
  };
}
