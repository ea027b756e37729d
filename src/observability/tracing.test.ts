import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { otelConfig } from "./otel-config.js";

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** A stand-in OpenTelemetry collector: OTLP/HTTP JSON, as the exporter sends it. */
function collector(): Promise<{ server: Server; url: string; bodies: string[]; spans: () => OtlpSpan[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (c) => {
      b += c;
    });
    req.on("end", () => {
      bodies.push(b);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
      const spans = () =>
        bodies.flatMap((b) =>
          (JSON.parse(b).resourceSpans as { scopeSpans: { spans: OtlpSpan[] }[] }[]).flatMap((r) =>
            r.scopeSpans.flatMap((s) => s.spans),
          ),
        );
      resolve({ server, url, bodies, spans });
    }),
  );
}

const attr = (s: OtlpSpan, k: string) => {
  const v = s.attributes.find((a) => a.key === k)?.value;
  return v ? Object.values(v)[0] : undefined;
};

describe("OpenTelemetry traces (litellm_settings.callbacks: [otel])", () => {
  let h: Harness;
  let c: Awaited<ReturnType<typeof collector>>;
  beforeAll(async () => {
    c = await collector();
    h = await startHarness({
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: c.url, OTEL_EXPORTER_OTLP_HEADERS: "x-team=residency" },
      yaml: `
model_list:
  - model_name: m
    litellm_params: { model: openai/m, api_base: "{{eu}}/v1", api_key: k, region_name: eu }
  - model_name: m
    litellm_params: { model: openai/m, api_base: "{{us}}/v1", api_key: k, region_name: us }
router_settings: { num_retries: 1 }
litellm_settings: { callbacks: ["otel"] }
general_settings: { master_key: sk-1234 }
`,
    });
    await post(`${h.url}/end_user/new`, { user_id: "trace-eu-person", allowed_model_region: "eu" }, h.auth);
  });
  afterAll(async () => {
    c.server.close();
  });

  it("exports one span per request and one per attempt, with deployment and geography, and nothing private", async () => {
    h.upstreams.eu.next({ status: 500 });
    const r = await post(
      `${h.url}/chat/completions`,
      { model: "m", messages: [{ role: "user", content: "secret prompt text" }], user: "trace-eu-person" },
      h.auth,
    );
    expect(r.status).toBe(200);
    await h.close(); // flushes the batch
    const spans = c.spans();
    const req = spans.filter((s) => s.name === "meridian.request");
    const attempts = spans.filter((s) => s.name === "meridian.attempt");
    expect(req).toHaveLength(1);
    expect(attr(req[0] as OtlpSpan, "meridian.deployment.geography")).toBe("eu");
    expect(attr(req[0] as OtlpSpan, "meridian.policy.allowed")).toBe("eu");
    expect(
      attempts.map((a) => [attr(a, "http.response.status_code"), attr(a, "meridian.deployment.geography")]),
    ).toEqual([
      [500, "eu"],
      [200, "eu"],
    ]);
    for (const a of attempts) {
      expect(a.parentSpanId).toBe(req[0]?.spanId);
      expect(a.traceId).toBe(req[0]?.traceId);
    }
    const all = c.bodies.join("");
    expect(all).not.toContain("secret prompt text");
    expect(all).not.toContain("trace-eu-person");
    expect(all).not.toContain("sk-1234");
  });
});

describe("otelConfig", () => {
  it("is off unless a callback names otel; endpoint and headers from the standard or LiteLLM variables", () => {
    expect(otelConfig(["langfuse"], {})).toBeUndefined();
    expect(otelConfig(["otel"], {})?.url).toBe("http://localhost:4318/v1/traces");
    expect(otelConfig(["otel"], { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })?.url).toBe(
      "http://c:4318/v1/traces",
    );
    expect(
      otelConfig(["OTEL"], { OTEL_ENDPOINT: "http://l:4318/v1/traces", OTEL_HEADERS: "a=b, c=d%20e" }),
    ).toEqual({
      url: "http://l:4318/v1/traces",
      headers: { a: "b", c: "d e" },
      serviceName: "meridian",
    });
  });
});
