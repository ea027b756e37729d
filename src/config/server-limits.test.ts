import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "./load.js";

const parse = (general: string) =>
  parseConfigText(`model_list: []\ngeneral_settings:\n${general}`, "limits.yaml", {}).general.server;

describe("client limits in general_settings", () => {
  it("bounds slow clients and connections by default", () => {
    expect(parse("  master_key: sk-1\n")).toEqual({
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 10_000,
      drainMs: 5_000,
    });
  });

  it("reads every setting, in whole milliseconds as node:http takes them", () => {
    expect(
      parse(`  client_request_timeout_seconds: 0.0015
  client_headers_timeout_seconds: 0
  client_keep_alive_timeout_seconds: "5"
  max_client_connections: 12
  shutdown_drain_seconds: 0.25
`),
    ).toEqual({
      requestTimeoutMs: 2,
      headersTimeoutMs: 0,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 12,
      drainMs: 250,
    });
  });

  it("refuses a headers timeout longer than the request timeout, and a cap that is not a whole number", () => {
    expect(() =>
      parse("  client_request_timeout_seconds: 10\n  client_headers_timeout_seconds: 20\n"),
    ).toThrow(/client_headers_timeout_seconds: must not exceed client_request_timeout_seconds/);
    expect(() => parse("  max_client_connections: 1.5\n")).toThrow(ConfigError);
  });
});
