import type { IncomingHttpHeaders } from "node:http";
import type { AccessGrant } from "../auth/grant.js";
import type { StreamEnd } from "../http/sse.js";
import type { SpooledForm } from "../multipart/spool.js";
import type { ObjectCall } from "../providers/contract.js";
import type { Operation } from "../router/deployment.js";
import type { RegionRestriction } from "../router/filters.js";
import type { CommittedStream } from "../upstream/call.js";
import type { Cancel } from "../upstream/cancel.js";

/** Who is calling: the master key, a virtual key, or nobody (no key configured). */
export interface Principal {
  readonly kind: "master" | "open" | "virtual";
  /** sha256 of the virtual key, when it is one. */
  readonly keyHash?: string;
  /** The virtual key's id across regenerations (key_id). */
  readonly keyId?: string;
  readonly keyAlias?: string;
  readonly teamId?: string;
  readonly teamAlias?: string;
  readonly userId?: string;
  /** Region restrictions the key and its team carry (none for the master key). */
  readonly regions: readonly RegionRestriction[];
  /** A virtual key's models, limits and budgets (absent for the master key and open access). */
  readonly grant?: AccessGrant;
}

export const MASTER: Principal = Object.freeze({ kind: "master", regions: Object.freeze([]) });
export const OPEN: Principal = Object.freeze({ kind: "open", regions: Object.freeze([]) });

/** One proxied request as the adapter hands it to the pipeline: parsed once, nothing written yet. */
export interface ProxyRequest {
  readonly op: Operation;
  /** The model named in an Azure-style path, if any. */
  readonly pathModel: string | undefined;
  /** A follow-up on an object named in the path (GET /v1/responses/{id}); undefined for a create. */
  readonly object?: ObjectCall;
  readonly headers: IncomingHttpHeaders;
  /** Node's header list, unjoined: tells repeated identity headers apart (see identifyEndUser). */
  readonly rawHeaders: readonly string[] | undefined;
  /** The parsed JSON body (undefined when empty). Released once a stream commits. */
  body: unknown;
  /** A multipart/form-data request's parts (then `body` holds its text fields). */
  readonly form?: SpooledForm | undefined;
  /** files/batches follow-ups: the one deployment that holds the object (retries stay on it). */
  readonly pinned?: { readonly deploymentId: string; readonly kind: string; readonly id: string } | undefined;
  /** files/batches: method, object path after the operation's, the client's query; the answer is bytes. */
  readonly method?: "GET" | "POST" | "DELETE" | undefined;
  readonly subpath?: string | undefined;
  readonly query?: string | undefined;
  readonly binary?: boolean | undefined;
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
