import type { IncomingHttpHeaders } from "node:http";
import type { AttemptInput, Decoded, Provider } from "../providers/contract.js";
import type { CallResult } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import { usageOf } from "../wire/usage.js";
import { invalidResponse } from "./errors.js";

/**
 * A 2xx non-streaming body, checked before anything is committed: what the client will rely on is
 * that it parses. A passthrough body must be a JSON object (it is forwarded byte for byte; usage read
 * off its tail); a translating provider's decode must succeed. Anything else is the upstream's
 * failure — retried or fallen over within the region like a 5xx.
 */
export function decodeBuffered(
  provider: Provider,
  d: Deployment,
  a: AttemptInput,
  body: Buffer,
  headers: IncomingHttpHeaders,
  what: string,
): CallResult<Decoded> {
  if (provider.passthrough || !provider.decode) {
    if (!isJsonObject(body))
      return { ok: false, failure: invalidResponse(what, describeBody(body, headers)) };
    return { ok: true, value: { body, usage: usageOf(body) } };
  }
  try {
    return { ok: true, value: provider.decode(d, a, body) };
  } catch (err) {
    return { ok: false, failure: invalidResponse(what, (err as Error).message) };
  }
}

function isJsonObject(body: Buffer): boolean {
  // Skip leading whitespace: a body that does not start with "{" cannot be an object, and needs no parse.
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09))
    i++;
  if (body[i] !== 0x7b) return false;
  try {
    JSON.parse(body.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

function describeBody(body: Buffer, headers: IncomingHttpHeaders): string {
  if (body.length === 0) return "an empty body";
  const ct = headers["content-type"];
  return `a body that is not a JSON object (${body.length} bytes${typeof ct === "string" ? `, ${ct}` : ""})`;
}
