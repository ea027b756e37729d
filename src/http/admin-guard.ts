import type { IncomingHttpHeaders } from "node:http";
import { type GatewayError, gatewayError } from "../errors.js";

/**
 * Loopback peers: 127.0.0.0/8, ::1 and IPv4-mapped 127.x. Anything unparsable (or a missing
 * address, as on a destroyed socket) is not loopback.
 */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  if (addr === "::1") return true;
  const v4 = addr.startsWith("::ffff:") ? addr.slice(7) : addr;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * `application/json`, any case, parameters (charset) allowed. A missing content type is refused
 * too: a browser sends a body without one (a Blob) as a "simple" cross-site request, without a
 * preflight, exactly like text/plain.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const semi = value.indexOf(";");
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() === "application/json";
}

export interface AdminGuardOptions {
  masterKey: string | undefined;
  allowRemoteWithoutKey: boolean;
}

/**
 * The extra checks of admin routes (/end_user/*, /customer/*), after access():
 * - a body-carrying method must be application/json, so a cross-site form or text/plain POST
 *   (which needs no CORS preflight) can never change a customer's region;
 * - with no master key, only a loopback peer may call them, unless the operator said otherwise.
 *   A request that came through a proxy (Forwarded / X-Forwarded-For) counts as remote even from
 *   loopback: a reverse proxy on the same host would otherwise make every caller "local".
 */
export function adminGuard(
  o: AdminGuardOptions,
): (method: string, headers: IncomingHttpHeaders, peer: string | undefined) => GatewayError | undefined {
  const openToAll = o.masterKey !== undefined || o.allowRemoteWithoutKey;
  return (method, headers, peer) => {
    if (!openToAll) {
      const forwarded = headers.forwarded !== undefined || headers["x-forwarded-for"] !== undefined;
      if (forwarded || !isLoopback(peer)) return gatewayError("admin_remote_forbidden");
    }
    if (method !== "GET" && method !== "HEAD" && !isJsonContentType(headers["content-type"]))
      return gatewayError("unsupported_media_type", {
        reason: "admin",
        got: describe(headers["content-type"]),
      });
    return undefined;
  };
}

function describe(ct: string | undefined): string {
  if (!ct) return "none";
  // echo a bounded, printable form only
  return JSON.stringify(ct.slice(0, 80).replace(/[^\x20-\x7e]/g, "?"));
}
