import type { CommittedStream } from "./call-types.js";
import type { ChunkQueue, ChunkSink } from "./chunks.js";

/**
 * A 2xx answer passed through as bytes (speech audio, a non-chat event stream): committed once its
 * first bytes are here, so a connection that drops right after the headers still falls over. Nothing
 * is parsed; the upstream's content type goes to the client unchanged.
 */
export async function commitBinary(body: ChunkQueue, abort: () => void): Promise<CommittedStream> {
  const r = await body.next();
  const first: Buffer = r.done ? Buffer.alloc(0) : r.value;
  const ended = r.done === true;
  return {
    first,
    binary: true,
    pipe: async (sink: ChunkSink) => {
      if (!ended) await body.pipeTo(sink);
      return undefined;
    },
    cancel: () => {
      abort();
      body.destroy();
    },
  };
}
