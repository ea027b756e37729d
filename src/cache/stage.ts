import type { StreamEnd } from "../http/sse.js";
import { type Accounting, accountCacheHit } from "../pipeline/account.js";
import { answerHeaders } from "../pipeline/result-headers.js";
import type { ProxyRequest, ProxyResult } from "../pipeline/types.js";
import { clientAskedUsage } from "../providers/openai-body.js";
import type { Deployment } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import type { CommittedStream } from "../upstream/call-types.js";
import { lastSequenceNumber, responsesErrorEvent } from "../wire/sse.js";
import type { ResponseCache } from "./cache.js";
import { StreamCapture } from "./capture.js";
import { type CacheControls, cacheControls } from "./controls.js";
import { type CacheEntry, parseAnswer } from "./entry.js";
import { cacheKey } from "./key.js";
import { replayStream } from "./replay.js";

export interface CacheStageDeps {
  cache: ResponseCache;
  accounting: Accounting;
  deploymentHeaders: ReadonlyMap<string, Readonly<Record<string, string>>>;
  maxRetries: string;
}

/** What the cache stage found for one request, and what the miss path needs to store the answer. */
export interface CacheProbe {
  /** The stored key (namespace:hash), sent back as x-litellm-cache-key. */
  readonly key: string;
  readonly controls: CacheControls;
  readonly stream: boolean;
  readonly entry: CacheEntry | undefined;
  /** The answer to serve on a hit: the body, or the replayed event stream. */
  readonly served: string | undefined;
}

/** Operations whose streams the cache can record and replay (cache/assemble.ts, cache/replay.ts). */
const STREAMABLE = new Set(["chat", "completions", "responses"]);

/**
 * The cache stage, after policy: keyed by the caller's policy, it returns a probe with the entry to
 * serve (a hit) or none. Undefined when the cache does not apply to this request (operation not in
 * supported_call_types, default_off without use-cache, a stream of an operation with no replay).
 */
export async function probeCache(
  cache: ResponseCache,
  req: ProxyRequest,
  body: Readonly<Record<string, unknown>>,
  group: string,
  policy: RegionPolicy,
): Promise<CacheProbe | undefined> {
  if (!cache.config.operations.has(req.op)) return undefined;
  const stream = req.op !== "embeddings" && body.stream === true;
  if (stream && !STREAMABLE.has(req.op)) return undefined;
  const controls = cacheControls(body, req.headers);
  if (cache.config.mode === "default_off" && !controls.useCache) return undefined;
  const key = cache.storedKey(cacheKey(req.op, group, policy, body), controls.namespace);
  const miss = { key, controls, stream, entry: undefined, served: undefined };
  if (controls.noCache) return miss;
  const found = await cache.lookup(key, policy, controls.maxAgeMs);
  const entry = found.entry;
  const served = entry && (stream ? replayOf(req.op, entry, body) : entry.body);
  if (!entry || served === undefined) {
    cache.metrics.misses.inc({ model_group: group, geography: policy.key });
    return miss;
  }
  const labels = { model_group: group, geography: entry.geo ?? "none" };
  cache.metrics.hits.inc(labels);
  cache.metrics.hitBytes.inc(labels, found.bytes);
  return { key, controls, stream, entry, served };
}

function replayOf(
  op: string,
  entry: CacheEntry,
  body: Readonly<Record<string, unknown>>,
): string | undefined {
  const answer = parseAnswer(entry.body);
  return answer && replayStream(op, answer, clientAskedUsage(body));
}

/**
 * Whether a Responses request may use the cache: a create only — not a follow-up on a stored
 * response, not one that adds to a conversation (its state changes under the same body), not a
 * background run. A create with previous_response_id may: that response cannot change, and the
 * plan has already checked its holder against the caller's policy.
 */
export function responsesCacheable(req: ProxyRequest, body: Readonly<Record<string, unknown>>): boolean {
  return req.object === undefined && body.conversation === undefined && body.background !== true;
}

/** A hit as the pipeline's result: the headers of a served answer, the producing deployment's region. */
export function cachedResult(
  deps: CacheStageDeps,
  req: ProxyRequest,
  group: string,
  policy: RegionPolicy,
  probe: CacheProbe,
): ProxyResult {
  const entry = probe.entry as CacheEntry;
  const text = probe.served as string;
  const headers: Record<string, string> = {
    ...req.extra,
    ...deps.deploymentHeaders.get(entry.deployment),
    ...answerHeaders(req.callId, 0, 0, deps.maxRetries),
    "x-litellm-model-group": group,
    "x-litellm-cache-key": probe.key,
    "x-meridian-cache": "hit",
    "x-litellm-response-cost": "0",
  };
  // Where the answer was produced, as recorded with it (not where that deployment is configured now).
  if (entry.geo) headers["x-litellm-model-region"] = entry.geo;
  else delete headers["x-litellm-model-region"];
  const ms = (performance.now() - req.started).toFixed(3);
  headers["x-litellm-response-duration-ms"] = ms;
  headers["x-litellm-overhead-duration-ms"] = ms;
  const from = { deployment: entry.deployment, geography: entry.geo };
  const bytes = Buffer.from(text);
  if (!probe.stream) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(bytes.length);
    return {
      status: 200,
      headers,
      body: bytes,
      written: () => accountCacheHit(deps.accounting, req, group, policy, from, undefined),
    };
  }
  headers["content-type"] = "text/event-stream";
  headers["cache-control"] = "no-cache";
  // No Connection header of ours: node answers keep-alive or close as the request asked.
  return {
    status: 200,
    headers,
    stream: replayed(bytes, req.op),
    written: (end) => accountCacheHit(deps.accounting, req, group, policy, from, end?.outcome),
  };
}

/** The whole replay is in hand: it is all `first`, and the rest is nothing. */
function replayed(bytes: Buffer, op: string): CommittedStream {
  const s: CommittedStream = { first: bytes, pipe: () => Promise.resolve(undefined), cancel: () => {} };
  // Only the drain's cut can end a replay early (a client slow to read it): a Responses replay then
  // ends with the Responses error event, numbered after its last.
  if (op === "responses") s.errorEvent = (e) => responsesErrorEvent(e, (lastSequenceNumber(bytes) ?? -1) + 1);
  return s;
}

/** Headers a miss adds to the answer it serves. */
export function missHeaders(probe: CacheProbe, headers: Record<string, string>): void {
  headers["x-litellm-cache-key"] = probe.key;
  headers["x-meridian-cache"] = "miss";
}

/** A recorder for a streamed miss, when its answer may be stored. */
export function captureFor(cache: ResponseCache, probe: CacheProbe, op: string): StreamCapture | undefined {
  if (probe.controls.noStore || !STREAMABLE.has(op)) return undefined;
  return new StreamCapture(op, cache.config.maxItemBytes);
}

/** Store a served answer (a 200 whose body is an OpenAI JSON object), with its producing geography. */
export function storeAnswer(
  cache: ResponseCache,
  probe: CacheProbe,
  op: string,
  group: string,
  d: Deployment,
  status: number,
  answer: Buffer | string | undefined,
): void {
  if (probe.controls.noStore || status !== 200) return;
  if (answer === undefined) {
    cache.metrics.dropped.inc({ reason: "incomplete_stream" });
    return;
  }
  if (answer.length > cache.config.maxItemBytes) {
    cache.metrics.dropped.inc({ reason: "too_large" });
    return;
  }
  const body = typeof answer === "string" ? answer : answer.toString("utf8");
  if (!parseAnswer(body)) {
    cache.metrics.dropped.inc({ reason: "unparseable" });
    return;
  }
  const entry: CacheEntry = { geo: d.geography ?? null, deployment: d.id, op, at: Date.now(), body };
  cache.save(probe.key, entry, probe.controls.ttlMs ?? cache.config.ttlMs, group);
}

/** Store a streamed miss once it has ended: only a stream that completed normally, never a cut one. */
export function storeStreamed(
  cache: ResponseCache,
  probe: CacheProbe,
  capture: StreamCapture,
  op: string,
  group: string,
  d: Deployment,
  status: number,
  end: StreamEnd | undefined,
): void {
  if (end?.outcome !== "completed") {
    cache.metrics.dropped.inc({ reason: "incomplete_stream" });
    return;
  }
  if (capture.tooLarge) {
    cache.metrics.dropped.inc({ reason: "too_large" });
    return;
  }
  storeAnswer(cache, probe, op, group, d, status, capture.answer(end.usage));
}
