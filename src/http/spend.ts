import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { intParam, type Query, spendFilter, wantsCsv } from "../audit/query.js";
import { type ResidencyReport, ResidencyTally } from "../audit/residency.js";
import { verifySpendLog } from "../audit/verify.js";
import { csvLine, spendCsv, spendLogView } from "../audit/views.js";
import { GatewayError, gatewayError } from "../errors.js";
import type { Gateway } from "./gateway.js";

// For the OpenAPI document only (parsing is audit/query.ts, which names the bad parameter).
const opt = z.string().optional();
const filters = {
  api_key: opt,
  user_id: opt,
  request_id: opt,
  start_date: opt,
  end_date: opt,
  end_user: opt,
  customer_id: opt,
  team_id: opt,
  model: opt,
  geography: opt,
  status: z.enum(["success", "failure"]).optional(),
  from: opt,
  to: opt,
  format: z.enum(["json", "csv"]).optional(),
};
const logsQuery = z.object({ ...filters, page: opt, page_size: opt });
const residencyQuery = z.object({
  from: opt,
  to: opt,
  end_user: opt,
  format: z.enum(["json", "csv"]).optional(),
});
const doc = (summary: string, query?: z.ZodType) => ({
  config: { admin: true, openapi: { summary, tags: ["spend"], ...(query ? { query } : {}) } },
});

/** GET /spend/logs, /audit/residency, /audit/verify (admin). */
export function registerSpendRoutes(app: FastifyInstance, gw: Gateway, enabled: boolean): void {
  const store = gw.store.spend;
  const reading = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    if (!enabled) throw gatewayError("spend_logs_disabled");
    try {
      return await f();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      gw.logger.error({ err, what }, "spend log read failed");
      throw gatewayError("spend_log_unavailable", { what });
    }
  };

  app.get(
    "/spend/logs",
    doc("Spend-log records (LiteLLM's /spend/logs, plus residency fields and filters)", logsQuery),
    async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Query;
      const filter = spendFilter(q);
      const csv = wantsCsv(q, req.headers.accept);
      const paged = q.page !== undefined || q.page_size !== undefined;
      const pageSize = intParam(q, "page_size", paged ? 50 : 1000, 1, 1000);
      const page = intParam(q, "page", 1, 1, 1_000_000);
      const { rows, total } = await reading("spend logs", () =>
        store.find(filter, pageSize, (page - 1) * pageSize),
      );
      reply.header("x-total-count", String(total));
      if (csv) return sendCsv(reply, "spend-logs.csv", spendCsv(rows));
      const data = rows.map(spendLogView);
      // LiteLLM's /spend/logs answers a bare list; asked for a page, /spend/logs/v2's envelope.
      if (!paged) return data;
      return { data, total, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
    },
  );

  app.get(
    "/audit/residency",
    doc("Requests by serving geography per customer, and every residency violation", residencyQuery),
    async (req, reply) => {
      const q = req.query as Query;
      const f = spendFilter(q);
      const csv = wantsCsv(q, req.headers.accept);
      const report = await reading("residency report", async () => {
        const tally = new ResidencyTally();
        for await (const r of store.range(f.from, f.to)) {
          if (f.endUser !== undefined && r.end_user !== f.endUser) continue;
          tally.add(r);
        }
        return tally.report(f.from, f.to);
      });
      if (csv) return sendCsv(reply, "residency.csv", residencyCsv(report));
      return report;
    },
  );

  // 200 either way: the answer is the verdict (`ok`, and each problem by call id), not an error.
  app.get(
    "/audit/verify",
    doc("Recompute the spend log's hash chains; name edited, missing and inserted records"),
    async () => reading("chain verification", () => verifySpendLog(store)),
  );
}

function sendCsv(reply: FastifyReply, name: string, body: string) {
  reply.header("content-type", "text/csv; charset=utf-8");
  reply.header("content-disposition", `attachment; filename="${name}"`);
  return body;
}

/** One summary row per customer and serving geography, then one row per violation. */
function residencyCsv(r: ResidencyReport): string {
  let out = csvLine([
    "row",
    "end_user",
    "allowed",
    "geography",
    "requests",
    "request_id",
    "start_time",
    "deployment_id",
    "detail",
    "restricted_by",
  ]);
  for (const c of r.customers) {
    const allowed = c.allowed === null ? "*" : c.allowed.join(" ");
    for (const [g, n] of Object.entries(c.served_by_geography))
      out += csvLine(["served", c.end_user, allowed, g, n, "", "", "", "", c.restricted_by.join(" ")]);
    if (c.refused_or_failed > 0)
      out += csvLine([
        "refused_or_failed",
        c.end_user,
        allowed,
        "",
        c.refused_or_failed,
        "",
        "",
        "",
        "",
        c.restricted_by.join(" "),
      ]);
  }
  for (const v of r.violations)
    out += csvLine([
      "violation",
      v.end_user,
      v.allowed.join(" "),
      v.geography ?? "unassigned",
      1,
      v.request_id,
      v.start_time,
      v.deployment_id,
      v.detail,
      "",
    ]);
  return out;
}
