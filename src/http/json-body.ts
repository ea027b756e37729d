import { isUtf8 } from "node:buffer";
import { gatewayError } from "../errors.js";

/**
 * Deepest nesting of arrays/objects a request body may have. V8's JSON.parse accepts 200,000 levels
 * but JSON.stringify overflows its stack from about 5,000 (measured on Node 22): a body that parses
 * could not be serialised for the upstream. Real requests (messages, tools, JSON schemas) nest a few
 * dozen levels at most.
 */
export const MAX_JSON_DEPTH = 400;

/**
 * A body's bytes as text. Bytes that are not UTF-8 are refused (400 invalid_json), not replaced by
 * U+FFFD: a replaced byte in `user` would name another, unknown, possibly unrestricted end user.
 * Only a text holding U+FFFD is checked (a one-byte string is cleared without a scan).
 */
export function bodyText(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  if (text.includes("\ufffd") && !isUtf8(bytes))
    throw gatewayError("invalid_json", { detail: "the body is not valid UTF-8" });
  return text;
}

/**
 * Parse a request body. Strict JSON first (the fast path). If that fails, one lenient retry that
 * removes `#`/`//` line comments outside strings and trailing commas — exactly what copy-pasted
 * documentation examples contain (LiteLLM's own docs annotate bodies with `# 👈 ...`).
 * Anything else is still a 400 with the parser's position; nesting beyond MAX_JSON_DEPTH is a 400
 * `nesting_too_deep` (a GatewayError).
 */
export function parseJsonBody(text: string): { value: unknown; lenient: boolean; parsed: string } {
  let value: unknown;
  let parsed = text;
  let lenient = false;
  try {
    value = JSON.parse(text);
  } catch (strictErr) {
    const cleaned = stripCommentsAndTrailingCommas(text);
    if (cleaned === text) throw strictErr;
    try {
      value = JSON.parse(cleaned);
    } catch {
      throw strictErr;
    }
    parsed = cleaned;
    lenient = true;
  }
  if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH)) {
    throw gatewayError("nesting_too_deep", { limit: MAX_JSON_DEPTH });
  }
  // `parsed`: the text JSON.parse read (comments gone when lenient), for scans of its structure
  return { value, lenient, parsed };
}

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACE = 0x7d;
export const CLOSE_BRACKET = 0x5d;

/**
 * Whether valid JSON `text` nests deeper than `max`. Depth beyond `max` needs more than `max` opening
 * brackets, so a body with fewer (every ordinary 1-10 KB request) is cleared by native indexOf
 * counting alone; only the rest get the scan, which skips strings with indexOf as well.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  if (text.length <= 2 * max + 1) return false;
  if (!moreThan(text, "[", "{", max)) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Whether `a` and `b` together occur more than `max` times in `text` (strings included). */
function moreThan(text: string, a: string, b: string, max: number): boolean {
  let count = 0;
  for (let i = text.indexOf(a); i >= 0; i = text.indexOf(a, i + 1)) if (++count > max) return true;
  for (let i = text.indexOf(b); i >= 0; i = text.indexOf(b, i + 1)) if (++count > max) return true;
  return false;
}

/** Index of the quote closing the string opened at `open` (the text is valid JSON). */
export function stringEnd(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  for (;;) {
    if (q < 0) return text.length;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
}

/**
 * The lenient retry's cleaning: line comments and trailing commas go, outside strings only — a
 * prompt saying "[a, ]" or "# heading" reaches the model as written.
 */
export function stripCommentsAndTrailingCommas(s: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      out += c;
      if (c === "\\") {
        out += s[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (isCommentStart(s, i)) {
      while (i < s.length && s[i] !== "\n") i++;
      out += "\n";
    } else if (c === "," && closesNext(s, i + 1)) {
      // a trailing comma: `, }` or `, ]`, with whitespace or comments between
    } else out += c;
  }
  return out;
}

function isCommentStart(s: string, i: number): boolean {
  return s[i] === "#" || (s[i] === "/" && s[i + 1] === "/");
}

/** Whether the next character after whitespace and line comments closes an object or array. */
function closesNext(s: string, from: number): boolean {
  for (let j = from; j < s.length; j++) {
    const c = s[j];
    if (c === "}" || c === "]") return true;
    if (isCommentStart(s, j)) {
      while (j < s.length && s[j] !== "\n") j++;
    } else if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") return false;
  }
  return false;
}
