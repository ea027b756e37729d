import type { IncomingHttpHeaders } from "node:http";
import { errorMessage } from "../errors.js";
import type { AttemptFailure } from "./errors.js";

/**
 * Checks that a 2xx answer is what the client will rely on, before it is committed: a JSON object
 * for a buffered call, an event stream for a streaming one. Anything else is the upstream's failure
 * (502 upstream_invalid_response), retried or fallen over within the region like a 5xx.
 */

/**
 * Bodies up to this size are parsed in full (~1 KB chat answers: a few µs). Larger ones (embedding
 * batches run to megabytes) only have their outer braces checked: parsing them would block the event
 * loop for milliseconds, and a body cut short in transit is already an error in undici (length or
 * chunked framing).
 */
export const FULL_PARSE_BELOW = 256 * 1024;

/** Undefined when `body` is a JSON object; otherwise why not. */
export function notJsonObject(body: Buffer): string | undefined {
  if (body.length === 0) return "an empty body";
  const first = firstNonSpace(body);
  const last = lastNonSpace(body);
  if (first !== 0x7b || last !== 0x7d) return "a body that is not a JSON object";
  if (body.length >= FULL_PARSE_BELOW) return undefined;
  try {
    JSON.parse(body.toString("utf8"));
    return undefined;
  } catch {
    return "a body that is not valid JSON";
  }
}

/** Undefined when the headers may start an event stream (text/event-stream, or no content type). */
export function notEventStreamType(headers: IncomingHttpHeaders): string | undefined {
  const ct = headers["content-type"];
  if (ct === undefined) return undefined;
  const v = (Array.isArray(ct) ? ct[0] : ct).trimStart().toLowerCase();
  if (v.startsWith("text/event-stream")) return undefined;
  return `content type ${JSON.stringify(v.split(";")[0].slice(0, 60))}, not an event stream`;
}

const FIELDS = ["data", "event", "id", "retry"];

/**
 * Undefined when `chunk` opens like an event stream: a comment (`:`), a blank line, or a field name
 * (`data`, `event`, `id`, `retry`) ended by `:` or a line end. A chunk ending inside a field name
 * (`da`) is given the benefit of the doubt.
 */
export function notEventStreamStart(chunk: Buffer): string | undefined {
  let i = 0;
  if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3; // UTF-8 BOM
  const c = chunk[i];
  if (c === undefined || c === 0x3a || c === 0x0a || c === 0x0d) return undefined;
  const head = chunk.toString("latin1", i, i + 6);
  for (const f of FIELDS) {
    if (head.length <= f.length) {
      if (f.startsWith(head)) return undefined;
      continue;
    }
    if (head.startsWith(f)) {
      const after = head.charCodeAt(f.length);
      if (after === 0x3a || after === 0x0a || after === 0x0d) return undefined;
    }
  }
  return "a stream that does not start with an event-stream field";
}

export function invalidReply(what: string, why: string): AttemptFailure {
  return {
    kind: "server",
    status: 502,
    message: errorMessage("upstream_invalid_response", { what, why }),
    type: "api_error",
    code: "upstream_invalid_response",
    param: null,
    retryAfterMs: undefined,
    passHeaders: undefined,
  };
}

function firstNonSpace(b: Buffer): number | undefined {
  for (let i = 0; i < b.length; i++) if (!isSpace(b[i])) return b[i];
  return undefined;
}

function lastNonSpace(b: Buffer): number | undefined {
  for (let i = b.length - 1; i >= 0; i--) if (!isSpace(b[i])) return b[i];
  return undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
