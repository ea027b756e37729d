import type { ServerResponse } from "node:http";
import type { CommittedStream } from "../upstream/call.js";
import type { CancelSignal } from "../upstream/cancel.js";
import { failureFromError } from "../upstream/errors.js";
import { StreamErrorEvent } from "../upstream/translated-stream.js";
import { chatErrorEvent, type StreamError } from "../wire/sse.js";
import type { Usage } from "../wire/usage.js";

export type StreamOutcome = "completed" | "client_closed" | "upstream_error" | "shutdown";

export interface StreamEnd {
  outcome: StreamOutcome;
  usage: Usage | undefined;
  /** The error code the stream ended with (upstream_error, shutdown). */
  code?: string;
}

/** A stream that ended before its end: by the client, or cut by the shutdown (drain.ts). */
function cutShort(signal: CancelSignal, usage: Usage | undefined): StreamEnd {
  return signal.byShutdown
    ? { outcome: "shutdown", usage, code: "shutting_down" }
    : { outcome: "client_closed", usage };
}

/** The streams being written, by response: how each ends with an error (for the drain's cut, too). */
const writing = new WeakMap<ServerResponse, CommittedStream>();

/**
 * The event that ends the stream `res` is writing with `e`, in the stream's API's form: a Responses
 * stream's `event: error` (numbered after its last event), else chat's `data: {"error": …}`.
 */
export function streamErrorEvent(res: ServerResponse, e: StreamError): string {
  const format = writing.get(res)?.errorEvent;
  return format ? format(e) : chatErrorEvent(e);
}

/**
 * Write a committed stream to the client: its first bytes (already in hand), then the rest piped from
 * the upstream's handler with backpressure. A failure after the commit ends the stream with one error
 * event (streamErrorEvent); a client that leaves cancels the upstream.
 */
export async function writeStream(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  stream: CommittedStream,
  signal: CancelSignal,
): Promise<StreamEnd> {
  // Keep-alive when node would keep the connection (HTTP/1.1 without Connection: close, not while
  // draining), but said by us: left to node's own keep-alive answer, a connection whose client
  // aborted mid-stream stayed open until shutdown's grace period ran out (router/timeouts.test.ts
  // hung in close). A client that asked to close still gets connection: close.
  if (res.shouldKeepAlive && headers.connection === undefined) res.setHeader("connection", "keep-alive");
  res.writeHead(status, headers);
  writing.set(res, stream);
  signal.addEventListener("abort", stream.cancel);
  try {
    if (stream.first.length > 0 && !res.write(stream.first)) await drained(res);
    if (signal.aborted || res.destroyed) {
      stream.cancel();
      return cutShort(signal, undefined);
    }
    const usage = await stream.pipe(res);
    signal.removeEventListener("abort", stream.cancel);
    if (signal.aborted || res.destroyed) return cutShort(signal, usage);
    res.end();
    return { outcome: "completed", usage };
  } catch (err) {
    if (signal.aborted || res.destroyed) {
      stream.cancel();
      return cutShort(signal, undefined);
    }
    // Audio cut mid-way cannot carry an error event: the client sees the connection end early.
    if (stream.binary) {
      res.destroy();
      return {
        outcome: "upstream_error",
        usage: undefined,
        code: failureFromError(err, "upstream stream", false).code,
      };
    }
    const f = err instanceof StreamErrorEvent ? err.failure : failureFromError(err, "upstream stream", false);
    res.end(
      streamErrorEvent(res, {
        message: `${f.message} after the stream had started`,
        type: f.type,
        param: null,
        code: f.code,
      }),
    );
    return { outcome: "upstream_error", usage: undefined, code: String(f.code) };
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
