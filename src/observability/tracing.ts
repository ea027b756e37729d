import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { VERSION } from "../version.js";
import type { OtelConfig } from "./otel-config.js";
import type { RecordSink, RequestRecord } from "./request-log.js";

/**
 * OpenTelemetry traces, off unless configured (otel-config.ts): one span per proxied request and a
 * child span per upstream attempt, carrying the deployment and the geography it processes data in.
 * Spans are made from the request record once the answer is written (the times are the record's),
 * so tracing adds nothing to the request's own path; the batch processor exports in the background.
 * No prompt, answer, key or end-user id goes into a span.
 */
export class Tracing implements RecordSink {
  private readonly provider: BasicTracerProvider;
  private readonly tracer;

  constructor(cfg: OtelConfig) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": cfg.serviceName, "service.version": VERSION }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: cfg.url, headers: cfg.headers }))],
    });
    this.tracer = this.provider.getTracer("meridian", VERSION);
  }

  request(r: RequestRecord, op: string | undefined): void {
    const end = Date.now();
    const status = r.status === "error" ? (r.error as { status: number }).status : r.status;
    const span: Span = this.tracer.startSpan("meridian.request", {
      kind: SpanKind.SERVER,
      startTime: end - r.ms,
      attributes: {
        "meridian.call_id": r.callId,
        "meridian.operation": op ?? "",
        "meridian.model_group": r.group,
        "meridian.policy.allowed": r.policy.allowed === null ? "*" : r.policy.key,
        "meridian.policy.sources": r.policy.sources.map((s) => s.source),
        "http.response.status_code": status,
        ...(r.deployment
          ? {
              "meridian.deployment.id": r.deployment.id,
              "meridian.deployment.geography": r.deployment.geography ?? "unassigned",
              "meridian.deployment.provider": r.deployment.provider,
            }
          : {}),
        ...(r.error ? { "error.type": r.error.code } : {}),
        ...(r.usage
          ? { "gen_ai.usage.input_tokens": r.usage.prompt, "gen_ai.usage.output_tokens": r.usage.completion }
          : {}),
      },
    });
    if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error?.code });
    const parent = trace.setSpan(context.active(), span);
    for (const a of r.attempts) {
      const s = this.tracer.startSpan(
        "meridian.attempt",
        {
          kind: SpanKind.CLIENT,
          startTime: a.at,
          attributes: {
            "meridian.deployment.id": a.deploymentId,
            "meridian.deployment.geography": a.geography ?? "unassigned",
            "meridian.model_group": a.group,
            "http.response.status_code": a.status,
            ...(a.code ? { "error.type": a.code } : {}),
          },
        },
        parent,
      );
      if (a.status >= 400) s.setStatus({ code: SpanStatusCode.ERROR, message: a.code ?? undefined });
      s.end(a.at + a.ms);
    }
    span.end(end);
  }

  /** Export what is queued (on shutdown). */
  async close(): Promise<void> {
    await this.provider.shutdown();
  }
}
