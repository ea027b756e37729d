import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { MasterKey, presentedKey } from "../auth/keys.js";
import { type GatewayError, gatewayError } from "../errors.js";
import type { Logger } from "../observability/logger.js";

export interface Lifecycle {
  shuttingDown: boolean;
}

/**
 * Who may pass: nobody while shutting down, otherwise whoever presents the master key (when one is
 * set). Shared by Fastify's hook and the proxy's fast path, so both refuse the same way.
 */
export function accessCheck(
  masterKey: string | undefined,
  lifecycle: Lifecycle,
  logger: Logger,
): (headers: IncomingHttpHeaders, method: string, url: string) => GatewayError | undefined {
  const master = masterKey ? new MasterKey(masterKey) : undefined;
  const shuttingDown = gatewayError("shutting_down", undefined, {
    headers: { "retry-after": "1", connection: "close" },
  });
  return (headers, method, url) => {
    if (lifecycle.shuttingDown) return shuttingDown;
    if (!master) return undefined;
    const key = presentedKey(headers);
    if (master.matches(key)) return undefined;
    // Traceable like any other refusal: a call id in the answer and one log line (never the key).
    const callId = randomUUID();
    logger.info(
      { call_id: callId, method, url: url.split("?")[0], status: 401, key_sent: key !== undefined },
      "auth failed",
    );
    return gatewayError(
      "invalid_api_key",
      { sent: key !== undefined },
      { headers: { "x-litellm-call-id": callId } },
    );
  };
}
