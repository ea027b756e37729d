import { type Geography, isGeography } from "../regions/table.js";

/**
 * What the cache stores for one answer: the answer itself (the OpenAI JSON body, as text) and where
 * it came from — never the request or its prompt (the key is a hash of it).
 */
export interface CacheEntry {
  /** Geography of the deployment that produced the answer (null: a deployment with no region). */
  readonly geo: Geography | null;
  /** The producing deployment's id. */
  readonly deployment: string;
  readonly op: string;
  /** When it was stored, ms since the epoch (for s-maxage). */
  readonly at: number;
  /** The OpenAI response body (a JSON object), as text. */
  readonly body: string;
}

const VERSION = 1;

export function encodeEntry(e: CacheEntry): string {
  return JSON.stringify({ v: VERSION, geo: e.geo, dep: e.deployment, op: e.op, at: e.at, body: e.body });
}

/**
 * An entry read back, or undefined when it is not one of ours in every field (corrupt, truncated,
 * written by another version): such entries are dropped, never served.
 */
export function decodeEntry(text: string): CacheEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (o.v !== VERSION) return undefined;
  if (o.geo !== null && !(typeof o.geo === "string" && isGeography(o.geo))) return undefined;
  if (typeof o.dep !== "string" || typeof o.op !== "string" || typeof o.body !== "string") return undefined;
  if (typeof o.at !== "number" || !Number.isFinite(o.at)) return undefined;
  if (parseAnswer(o.body) === undefined) return undefined;
  return { geo: o.geo as Geography | null, deployment: o.dep, op: o.op, at: o.at, body: o.body };
}

/**
 * The answer as an object, when it is a JSON object that is not an error (a Response carries
 * `"error": null`), nor a Response that did not complete (incomplete, failed, still running).
 */
export function parseAnswer(body: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    const o = v as Record<string, unknown>;
    if (o.error !== undefined && o.error !== null) return undefined;
    if (o.object === "response" && o.status !== "completed") return undefined;
    return o;
  } catch {
    return undefined;
  }
}
