import type { IncomingHttpHeaders } from "node:http";
import { type ErrorValues, type GatewayError, gatewayError } from "../errors.js";

export type EndUserSource =
  | "x-litellm-customer-id"
  | "x-litellm-end-user-id"
  | "user"
  | "litellm_metadata.user"
  | "metadata.user_id"
  | "safety_identifier";

export interface EndUser {
  id: string;
  source: EndUserSource;
}

/**
 * Who the request is for, LiteLLM's precedence (first found wins): the two headers, then body
 * `user`, `litellm_metadata.user`, `metadata.user_id`, `safety_identifier`. Blank values do not count.
 *
 * An identity that is present but cannot be read exactly is refused (GatewayError, 400 naming the
 * header or field), never treated as absent: "absent" may mean unrestricted, so a misread pinned
 * customer would leave its region. Refused: different values of one repeated header, header bytes
 * that are not UTF-8, percent-escapes in a header (ambiguous: `a%20b` may be the literal id or
 * `a b`), control characters, and non-string body fields. Ids are NFC-normalised, as the admin
 * API stores them, so NFC and NFD spellings name one customer.
 *
 * `rawHeaders` (node's, or light-my-request's) is consulted only when a joined header value holds
 * a comma: node joins repeated headers with ", ", which is the only way to tell them apart.
 */
export function identifyEndUser(
  headers: IncomingHttpHeaders,
  body: Readonly<Record<string, unknown>>,
  rawHeaders?: readonly string[],
): EndUser | undefined {
  // literal keys: a computed one costs a generic lookup on every request
  const h1 = headerId(headers["x-litellm-customer-id"], rawHeaders, "x-litellm-customer-id");
  if (h1) return { id: h1, source: "x-litellm-customer-id" };
  const h2 = headerId(headers["x-litellm-end-user-id"], rawHeaders, "x-litellm-end-user-id");
  if (h2) return { id: h2, source: "x-litellm-end-user-id" };
  const user = bodyId(body.user, "user");
  if (user) return { id: user, source: "user" };
  const lm = obj(body.litellm_metadata);
  const lmUser = lm && bodyId(lm.user, "litellm_metadata.user");
  if (lmUser) return { id: lmUser, source: "litellm_metadata.user" };
  const md = obj(body.metadata);
  const mdUser = md && bodyId(md.user_id, "metadata.user_id");
  if (mdUser) return { id: mdUser, source: "metadata.user_id" };
  const safety = bodyId(body.safety_identifier, "safety_identifier");
  if (safety) return { id: safety, source: "safety_identifier" };
  return undefined;
}

/** The canonical spelling of an end-user id (lookups and admin writes alike). */
export function normalizeId(id: string): string {
  return NON_ASCII.test(id) ? id.normalize("NFC") : id;
}

/** Anything but printable ASCII: only such ids may have another Unicode normal form. */
const NON_ASCII = /[^\x20-\x7e\t]/;
/** A char no single byte decodes to in latin1. */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;
/** Printable ASCII without `%`, not blank at either end: the common case, taken as is after one scan. */
const PLAIN_HEADER = /^[\x21-\x24\x26-\x7e](?:[\x20-\x24\x26-\x7e]*[\x21-\x24\x26-\x7e])?$/;
const PLAIN_BODY = /^[\x20-\x7e]*$/;
const CONTROL = /\p{Cc}/u;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function headerId(
  v: string | string[] | undefined,
  raw: readonly string[] | undefined,
  name: EndUserSource,
): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string" && !(raw && v.includes(","))) return headerValue(v, name);
  const values = Array.isArray(v) ? v : rawValues(raw ?? [], name, v);
  let id: string | undefined;
  for (const value of values) {
    const t = headerValue(value, name);
    if (t === undefined) continue;
    if (id === undefined) id = t;
    else if (id !== t) throw gatewayError("conflicting_identity", { header: name }, { param: name });
  }
  return id;
}

/** Each occurrence of header `name`; the joined value if none is found (it then counts as one). */
function rawValues(raw: readonly string[], name: string, joined: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out.length > 0 ? out : [joined];
}

function headerValue(value: string, name: string): string | undefined {
  if (PLAIN_HEADER.test(value)) return value;
  // Only ASCII blanks before decoding: \xa0 may be the last byte of a UTF-8 character.
  const s = value.replace(/^[ \t]+|[ \t]+$/g, "");
  if (s === "") return undefined;
  if (PLAIN_HEADER.test(s)) return s;
  if (PERCENT_ESCAPE.test(s)) throw invalid(name, "percent_escape");
  let text = s;
  // Node reads header bytes as latin1 (one char per byte); a char above \xff means the value was
  // never bytes (an in-process inject) and is already text.
  if (!BEYOND_LATIN1.test(s)) {
    try {
      text = utf8.decode(Buffer.from(s, "latin1"));
    } catch {
      throw invalid(name, "not_utf8");
    }
  }
  text = text.trim();
  if (text === "") return undefined;
  if (CONTROL.test(text)) throw invalid(name, "control_character");
  return text.normalize("NFC");
}

function bodyId(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(field, "not_string");
  const t = v.trim();
  if (t === "") return undefined;
  if (PLAIN_BODY.test(t)) return t;
  if (CONTROL.test(t)) throw invalid(field, "control_character");
  if (!(t as string & { isWellFormed(): boolean }).isWellFormed()) throw invalid(field, "unpaired_surrogate");
  return t.normalize("NFC");
}

function invalid(where: string, problem: ErrorValues<"invalid_identity">["problem"]): GatewayError {
  return gatewayError("invalid_identity", { where, problem }, { param: where });
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
