import type { Problem } from "./problem.js";
import type { GeneralSettings } from "./schema.js";

/** How the HTTP server treats its clients' connections (general_settings, see README). */
export interface ServerLimits {
  /** Whole request, headers and body, from its first byte; 0 = none. A slow body gets 408. */
  requestTimeoutMs: number;
  /** Request headers, from the first byte; 0 = none. At most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this many are refused at accept. */
  maxConnections: number;
  /** After SIGTERM: how long the listener stays open answering 503 `shutting_down` (within the grace). */
  drainMs: number;
}

/**
 * Node's own defaults let a client drip a body forever (requestTimeout 0 in a server Fastify is
 * handed) and hold any number of connections; these bound both. 72 s keep-alive outlives the
 * 60 s idle timeout of common load balancers, so they, not we, close idle connections.
 */
export function serverLimits(gs: GeneralSettings, problems: Problem[]): ServerLimits {
  // node:http takes whole milliseconds only
  const ms = (seconds: number) => Math.round(seconds * 1000);
  const limits: ServerLimits = {
    requestTimeoutMs: ms(gs.client_request_timeout_seconds ?? 60),
    headersTimeoutMs: ms(gs.client_headers_timeout_seconds ?? 30),
    keepAliveTimeoutMs: Math.max(1, ms(gs.client_keep_alive_timeout_seconds ?? 72)),
    maxConnections: gs.max_client_connections ?? 10_000,
    drainMs: ms(gs.shutdown_drain_seconds ?? 5),
  };
  // node:http refuses this combination at createServer
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs)
    problems.push({
      path: ["general_settings", "client_headers_timeout_seconds"],
      message: "must not exceed client_request_timeout_seconds",
    });
  return limits;
}
