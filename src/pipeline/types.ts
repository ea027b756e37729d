import type { IncomingHttpHeaders } from "node:http";
import type { StreamEnd } from "../http/sse.js";
import type { Operation } from "../router/deployment.js";
import type { RegionRestriction } from "../router/filters.js";
import type { CommittedStream } from "../upstream/call.js";
import type { Cancel } from "../upstream/cancel.js";

/** Who is calling: today the master key or nobody (no key configured); virtual keys and teams next. */
export interface Principal {
  readonly kind: "master" | "open";
  /** sha256 of the virtual key, when it is one. */
  readonly keyHash?: string;
  readonly keyAlias?: string;
  readonly teamId?: string;
  readonly teamAlias?: string;
  readonly userId?: string;
  /** Region restrictions the key and its team carry (none for the master key). */
  readonly regions: readonly RegionRestriction[];
}

export const MASTER: Principal = Object.freeze({ kind: "master", regions: Object.freeze([]) });
export const OPEN: Principal = Object.freeze({ kind: "open", regions: Object.freeze([]) });

/** One proxied request as the adapter hands it to the pipeline: parsed once, nothing written yet. */
export interface ProxyRequest {
  readonly op: Operation;
  /** The model named in an Azure-style path, if any. */
  readonly pathModel: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Node's header list, unjoined: tells repeated identity headers apart (see identifyEndUser). */
  readonly rawHeaders: readonly string[] | undefined;
  /** The parsed JSON body (undefined when empty). Released once a stream commits. */
  body: unknown;
  readonly principal: Principal;
  readonly callId: string;
  /** performance.now() when the request arrived. */
  readonly started: number;
  /** Aborted when the client goes away. */
  readonly signal: Cancel;
  /** Headers every answer carries (e.g. the lenient-JSON warning, CORS). */
  readonly extra: Readonly<Record<string, string>> | undefined;
}

/**
 * What the pipeline answers: a value the adapter writes. Either a whole body or a committed event
 * stream; `written` is told once it is written (for a stream, how it ended), and runs the accounting.
 */
export interface ProxyResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | string;
  readonly stream?: CommittedStream;
  readonly written?: (end: StreamEnd | undefined) => void;
}
