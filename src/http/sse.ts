import type { ServerResponse } from "node:http";
import type { UpstreamReply } from "../upstream/call.js";
import type { CancelSignal } from "../upstream/cancel.js";
import type { ChunkSource } from "../upstream/chunks.js";
import { failureFromError } from "../upstream/errors.js";

export type StreamOutcome = "completed" | "client_closed" | "upstream_error";

/**
 * Pass an upstream SSE stream through chunk by chunk, bytes untouched, honouring backpressure:
 * piped when the body can be (an upstream's), pulled otherwise (a mock_response).
 * The first chunk is already in hand (the stream was committed on it). An upstream failure after
 * that ends the stream with one `data: {"error": …}` event; a client that leaves cancels upstream.
 */
export async function pipeStream(
  res: ServerResponse,
  up: UpstreamReply,
  headers: Record<string, string>,
  signal: CancelSignal,
): Promise<StreamOutcome> {
  res.writeHead(up.status, headers);
  const rest = up.rest as ChunkSource;
  try {
    if (up.first && !res.write(up.first)) await drained(res);
    if (rest.pipeTo && !signal.aborted && !res.destroyed) {
      // An upstream body: chunks go from its handler straight into the response (a client that
      // leaves aborts the upstream call, which ends the pipe with an error; see below). A client
      // already gone falls through to the loop's check.
      await rest.pipeTo(res);
      res.end();
      return "completed";
    }
    for (;;) {
      if (signal.aborted || res.destroyed) {
        up.cancel();
        await rest.return?.();
        return "client_closed";
      }
      const r = await rest.next();
      if (r.done) break;
      if (!res.write(r.value)) await drained(res);
    }
    res.end();
    return "completed";
  } catch (err) {
    if (signal.aborted || res.destroyed) {
      up.cancel();
      return "client_closed";
    }
    const f = failureFromError(err, "upstream stream", false);
    const event = {
      error: {
        message: `${f.message} after the stream had started`,
        type: f.type,
        param: null,
        code: f.code,
      },
    };
    res.end(`data: ${JSON.stringify(event)}\n\n`);
    return "upstream_error";
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
