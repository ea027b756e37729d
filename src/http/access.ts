import type { IncomingHttpHeaders } from "node:http";
import type { KeyService } from "../auth/key-service.js";
import { MasterKey, presentedKey } from "../auth/keys.js";
import { GatewayError, gatewayError } from "../errors.js";
import { newCallId } from "../ids/call-id.js";
import type { Logger } from "../observability/logger.js";
import { MASTER, OPEN, type Principal } from "../pipeline/types.js";

export interface Lifecycle {
  shuttingDown: boolean;
}

export type Authenticate = (
  headers: IncomingHttpHeaders,
  method: string,
  url: string,
) => Principal | GatewayError | Promise<Principal | GatewayError>;

/**
 * Who may pass: nobody while shutting down; with no master key set, everyone (LiteLLM: no master
 * key, no auth); otherwise the master key, or a virtual key the key service knows (cached; a
 * promise only on a cache miss). Shared by Fastify's hook and the proxy adapter, so both refuse
 * the same way.
 */
export function authenticator(
  masterKey: string | undefined,
  keys: KeyService | undefined,
  lifecycle: Lifecycle,
  logger: Logger,
): Authenticate {
  const master = masterKey ? new MasterKey(masterKey) : undefined;
  const shuttingDown = gatewayError("shutting_down", undefined, {
    headers: { "retry-after": "1", connection: "close" },
  });
  // Traceable like any other refusal: a call id in the answer and one log line (never the key).
  const refuse = (e: GatewayError, method: string, url: string, sent: boolean): GatewayError => {
    const callId = newCallId();
    logger.info(
      { call_id: callId, method, url: url.split("?")[0], status: e.status, code: e.code, key_sent: sent },
      "auth failed",
    );
    return e.withHeaders({ "x-litellm-call-id": callId });
  };
  return (headers, method, url) => {
    if (lifecycle.shuttingDown) return shuttingDown;
    if (!master) return OPEN;
    const key = presentedKey(headers);
    if (master.matches(key)) return MASTER;
    if (key === undefined || !keys)
      return refuse(
        gatewayError("invalid_api_key", { sent: key !== undefined }),
        method,
        url,
        key !== undefined,
      );
    const r = keys.authenticate(key);
    if (r instanceof Promise)
      return r.then((p) => (p instanceof GatewayError ? refuse(p, method, url, true) : p));
    return r instanceof GatewayError ? refuse(r, method, url, true) : r;
  };
}
