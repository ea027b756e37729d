import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError, gatewayError } from "../errors.js";
import { resolveModel } from "../pipeline/model.js";
import { policyFor } from "../pipeline/policy.js";
import { MASTER, type ProxyRequest } from "../pipeline/types.js";
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
      const m = resolveModel(gw.router, gw.modelNames, op, structuredClone(body), undefined);
      const call: ProxyRequest = {
        op,
        pathModel: undefined,
        headers,
        rawHeaders: undefined,
        body: m.body,
        principal: MASTER,
        callId: "explain",
        started: performance.now(),
        signal: new Cancel(),
        extra: undefined,
      };
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
          refusal: err.toJSON().error,
        };
      }
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
        pick: e.pick,
        groups: e.groups,
        // budgets and key model lists are not enforced on this branch yet, so they refuse nothing here
        not_checked: ["budget", "key_models"],
      };
    },
  );
}
