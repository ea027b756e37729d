import { stringEnd } from "../http/json-body.js";

/**
 * A JSON body that names its end user twice (`{"user":"cust-eu", …, "user":"other"}`) is read by
 * JSON.parse as the last one, by other parsers (a proxy or validator in front of the gateway) as the
 * first: a parser differential that would let a body vetted as one customer be served as another.
 * Such a body is refused, like one identity header repeated with different values.
 *
 * The fields: the top-level `user`, `safety_identifier`, `metadata` and `litellm_metadata`, and
 * `metadata.user_id` and `litellm_metadata.user`. Returns the first repeated one, by its path.
 */
export function duplicateIdentityField(text: string): string | undefined {
  // Most bodies name each field once, in plain spelling: a few indexOf scans clear them. A key
  // spelled with escapes ("us\u0065r") is the same key to JSON.parse; clients escape only what is
  // not printable ASCII, so an escaped ASCII letter or underscore sends the body to the full scan.
  if (!ESCAPED_ASCII.test(text) && !PLAIN_KEYS.some((k) => repeatedAsKey(text, k))) return undefined;
  return scan(text);
}

const ESCAPED_ASCII = /\\u00[4-7][0-9a-fA-F]/;

const TOP = new Set(["user", "safety_identifier", "metadata", "litellm_metadata"]);
const NESTED: Record<string, string> = { metadata: "user_id", litellm_metadata: "user" };
const PLAIN_KEYS = ['"user"', '"user_id"', '"safety_identifier"', '"metadata"', '"litellm_metadata"'];

/** Whether `quoted` occurs twice followed by a colon (as a key), anywhere in the text. */
function repeatedAsKey(text: string, quoted: string): boolean {
  let seen = 0;
  for (let i = text.indexOf(quoted); i >= 0; i = text.indexOf(quoted, i + quoted.length)) {
    let j = i + quoted.length;
    while (j < text.length && isSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === COLON && ++seen > 1) return true;
  }
  return false;
}

const QUOTE = 0x22;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

interface Frame {
  /** An object's keys seen so far (identity keys only); undefined for an array. */
  keys: Set<string> | undefined;
  /** The key this object or array is the value of, in its parent (undefined at the top). */
  under: string | undefined;
}

/** Walks the (valid) JSON text's structure, strings skipped natively; keys decoded only when escaped. */
function scan(text: string): string | undefined {
  const stack: Frame[] = [];
  let lastKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      let j = end + 1;
      while (j < text.length && isSpace(text.charCodeAt(j))) j++;
      const top = stack[stack.length - 1];
      if (top?.keys && text.charCodeAt(j) === COLON) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        lastKey = key;
        const path = identityPath(stack, key);
        if (path !== undefined) {
          if (top.keys.has(key)) return path;
          top.keys.add(key);
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      const parent = stack[stack.length - 1];
      stack.push({ keys: c === 0x7b ? new Set() : undefined, under: parent?.keys ? lastKey : undefined });
    } else if (c === 0x7d || c === 0x5d) stack.pop();
  }
  return undefined;
}

/** The path of `key` when it is an identity field where it stands; else undefined. */
function identityPath(stack: Frame[], key: string): string | undefined {
  if (stack.length === 1) return TOP.has(key) ? key : undefined;
  if (stack.length === 2) {
    const under = stack[1].under;
    if (under !== undefined && NESTED[under] === key) return `${under}.${key}`;
  }
  return undefined;
}
