import type { IncomingHttpHeaders } from "node:http";
import type { AttemptInput } from "../providers/contract.js";
import type { StreamError } from "../wire/sse.js";
import type { Usage } from "../wire/usage.js";
import type { CancelSignal } from "./cancel.js";
import type { ChunkSink } from "./chunks.js";

/*
 * What one attempt is given and gives back, apart from the code that makes it: stream-commit.ts and the
 * pipeline need these shapes without importing call.ts (which imports stream-commit.ts).
 */

/** A committed stream: its first bytes are in hand; the rest is piped into the client's response. */
export interface CommittedStream {
  /** Bytes to write first: what arrived (and was translated) before the stream committed. */
  readonly first: Buffer | string;
  /** The rest, into `sink` with backpressure. Resolves with the usage seen; rejects on a failure after commit. */
  pipe(sink: ChunkSink): Promise<Usage | undefined>;
  /** Stop reading and release the connection (client went away). */
  cancel(): void;
  /** Bytes that are not an event stream (audio): a failure after commit can only cut the connection. */
  readonly binary?: boolean;
  /**
   * The event that ends this stream when it fails after the commit, in its API's own form: a Responses
   * stream's `event: error` with the next sequence_number. Absent: chat's `data: {"error": …}`.
   */
  errorEvent?: ((e: StreamError) => string) | undefined;
}

export interface UpstreamReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Non-streaming: the OpenAI body (upstream's own bytes for passthrough providers). */
  body: Buffer | undefined;
  usage: Usage | undefined;
  stream: CommittedStream | undefined;
}

export interface CallContext extends AttemptInput {
  signal: CancelSignal;
  /** The client asked for the usage chunk (`stream_options.include_usage`). */
  clientWantsUsage: boolean;
  /**
   * Pass the 2xx answer through as bytes, whatever they are (audio, a non-chat event stream), committed
   * once the upstream's headers say success. `stream` is true with it.
   */
  binary?: boolean;
}
