import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERRORS, type ErrorCode, errorMessage, GatewayError, gatewayError } from "./errors.js";

const ROOT = join(import.meta.dirname, "..");
const codes = Object.keys(ERRORS) as ErrorCode[];
const LITELLM_TYPES = new Set([
  "expired_key",
  "key_model_access_denied",
  "team_model_access_denied",
  "budget_exceeded",
]);

/** The rows of README.md's "### Errors" table: status cell and the codes named in the code cell. */
function readmeErrorRows(): { status: string; codes: string[] }[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n### Errors\n");
  expect(start, "README.md has an Errors section").toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return section
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .map((l) => l.split("|").map((c) => c.trim()))
    .filter(([, status]) => status !== "status" && !/^-+$/.test(status))
    .map(([, status, codeCell]) => ({
      status,
      // `Retry-After`, `Allow` are headers named beside a code, not codes
      codes: [...codeCell.matchAll(/`([a-z][a-z0-9_]*)`/g)].map((m) => m[1]),
    }));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("the error registry", () => {
  it.each(codes)("%s has an HTTP status, an OpenAI type and a message template", (code) => {
    const e = ERRORS[code];
    expect(Number.isInteger(e.status) && e.status >= 400 && e.status <= 599).toBe(true);
    // OpenAI's `*_error` types, or one of LiteLLM's own (ProxyErrorTypes) that clients match on
    if (!LITELLM_TYPES.has(e.type)) expect(e.type).toMatch(/^[a-z_]+_error$/);
    expect(typeof e.message).toBe("function");
  });

  it("builds a GatewayError whose status, type and message come from the entry", () => {
    const e = gatewayError("invalid_model", { model: "gpt-5", available: ["a", "b"] }, { param: "model" });
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.toJSON()).toEqual({
      error: {
        message: "Invalid model name passed in model=gpt-5. Available models: a, b",
        type: "invalid_request_error",
        param: "model",
        code: "invalid_model",
      },
    });
    expect(e.status).toBe(400);
    expect(gatewayError("invalid_url", { reason: "segment_too_long" }, { status: 414 }).status).toBe(414);
    expect(gatewayError("shutting_down", undefined, { headers: { "retry-after": "1" } }).headers).toEqual({
      "retry-after": "1",
    });
  });

  // The words clients (and README examples) rely on, one per variant a template picks between.
  it.each<[string, string]>([
    [
      errorMessage("invalid_request", { reason: "missing", param: "model" }),
      "Missing required parameter: model.",
    ],
    [errorMessage("invalid_request", { reason: "invalid", param: null, why: "bad" }), "Invalid body: bad."],
    [errorMessage("invalid_region", { reason: "invalid", param: "r", why: "no" }), "Invalid r: no."],
    [
      errorMessage("invalid_request", {
        reason: "wrong_type",
        param: "n",
        expected: "a number",
        got: "string",
      }),
      "Invalid type for n: expected a number, got string.",
    ],
    [errorMessage("invalid_request", { reason: "malformed_http" }), "Malformed HTTP request."],
    [
      errorMessage("invalid_header", { detail: "Invalid header value char" }),
      "Malformed request header or framing (Invalid header value char).",
    ],
    [
      errorMessage("invalid_model", { model: "x", available: [] }),
      "Invalid model name passed in model=x. Available models: (none configured)",
    ],
    [errorMessage("model_not_found", { group: "g" }), "The model group 'g' does not exist"],
    [errorMessage("model_not_found", { modelId: "7" }), "Model id = 7 not found on the gateway"],
    [
      errorMessage("method_not_allowed", { method: "GET", path: "/p", allowed: ["POST", "PUT"] }),
      "Method GET is not allowed on /p; use POST or PUT.",
    ],
    [
      errorMessage("invalid_api_key", { sent: false }),
      "Authentication Error: no API key passed (use Authorization: Bearer <key>).",
    ],
    [
      errorMessage("cors_origin_not_allowed", { origin: "https://a", path: "/x", admin: true }),
      "Origin https://a is not allowed on /x (general_settings.admin_cors_allow_origins).",
    ],
    [errorMessage("customer_not_found", { ids: ["a", "b"] }), 'Customer not found: "a", "b".'],
    [
      errorMessage("invalid_identity", { where: "user", problem: "not_string" }),
      "End-user id in user must be a string; the request was refused.",
    ],
    [
      errorMessage("no_deployment_in_region", {
        group: "gpt-4o",
        allowed: 'region "eu"',
        endUserId: "c1",
        regions: ["us"],
      }),
      'No deployment of model "gpt-4o" is in region "eu" for customer "c1"; its deployments are in: us. The request was not sent anywhere.',
    ],
    [
      errorMessage("no_deployment_in_region", { group: "m", allowed: 'region "eu"', regions: [] }),
      'No deployment of model "m" is in region "eu"; its deployments are in: none. The request was not sent anywhere.',
    ],
    [
      errorMessage("region_conflict", {
        sources: [
          { source: "key", allowed: ["eu"] },
          { source: "customer", id: "c", allowed: ["us", "ap"] },
        ],
        allowed: "no region (its restrictions do not intersect)",
      }),
      'The request\'s region restrictions do not intersect (key allows eu; customer "c" allows us, ap): it may be served in no region (its restrictions do not intersect). The request was not sent anywhere.',
    ],
    [
      errorMessage("no_deployment_available", { group: "m", blocked: "usage", retryAfter: 3 }),
      'Every deployment of model "m" has reached its rpm/tpm limit for this minute; retry in 3s.',
    ],
    [errorMessage("upstream_timeout", { what: "d1" }), "d1 timed out"],
    [errorMessage("upstream_timeout", { what: "d1", status: 504 }), "d1 returned HTTP 504"],
    [
      errorMessage("internal_error", { reason: "prepare", what: "d1", tooDeep: true }),
      "The gateway could not prepare the request for d1: the request is too deeply nested to serialise.",
    ],
  ])("%s", (built, expected) => {
    expect(built).toBe(expected);
  });

  it("README's Errors table lists every code, each at its registry status", () => {
    const rows = readmeErrorRows();
    const listed = new Set(rows.flatMap((r) => r.codes));
    expect(codes.filter((c) => !listed.has(c))).toEqual([]);
    for (const r of rows) {
      for (const c of r.codes) {
        expect(codes, `README names ${c}, which is not a registry code`).toContain(c);
        if (/^\d{3}$/.test(r.status))
          expect(`${c} ${ERRORS[c as ErrorCode].status}`).toBe(`${c} ${r.status}`);
      }
    }
  });

  it("src/ builds errors through gatewayError only, so no message is written at a call site", () => {
    const offenders = sourceFiles(join(ROOT, "src"))
      .filter((f) => !f.endsWith(join("src", "errors.ts")))
      .filter((f) => /new GatewayError\(/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });
});
