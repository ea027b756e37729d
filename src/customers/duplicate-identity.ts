import { CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE, stringEnd } from "../http/json-body.js";

/**
 * A JSON body that names its end user twice (`{"user":"cust-eu", …, "user":"other"}`) is read by
 * JSON.parse as the last one, by other parsers (a proxy or validator in front of the gateway) as the
 * first: a parser differential that would let a body vetted as one customer be served as another.
 * Such a body is refused, like one identity header repeated with different values.
 *
 * The fields: the top-level `user`, `safety_identifier`, `metadata` and `litellm_metadata`, and
 * `metadata.user_id` and `litellm_metadata.user`, in any spelling JSON.parse reads as them
 * (`"us\u0065r"`). Returns the first repeated one, by its path.
 *
 * One pass over the structure, strings skipped with indexOf and nothing allocated but escaped keys:
 * searching the text for each field's name cost several times more on a long conversation.
 */
export function duplicateIdentityField(text: string): string | undefined {
  let depth = 0;
  /** Top-level identity keys seen (bits of TOP). */
  let seen = 0;
  /** The top-level key whose value is being read (for depth 2). */
  let topKey = "";
  /** Whether the depth-2 object's identity key was seen. */
  let nestedSeen = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (depth <= 2 && isKey(text, end + 1)) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (depth === 1) {
          topKey = key;
          const bit = TOP[key] ?? 0;
          if (bit !== 0) {
            if ((seen & bit) !== 0) return key;
            seen |= bit;
          }
        } else if (NESTED[topKey] === key) {
          if (nestedSeen) return `${topKey}.${key}`;
          nestedSeen = true;
        }
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 2) nestedSeen = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return undefined;
}

const TOP: Record<string, number> = Object.assign(Object.create(null), {
  user: 1,
  safety_identifier: 2,
  metadata: 4,
  litellm_metadata: 8,
});
const NESTED: Record<string, string> = Object.assign(Object.create(null), {
  metadata: "user_id",
  litellm_metadata: "user",
});

const COLON = 0x3a;

/** Whether the string that ended before `from` is a key: a colon follows, after whitespace. */
function isKey(text: string, from: number): boolean {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === COLON) return true;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return false;
}
