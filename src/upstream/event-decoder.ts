import type { StreamEvent } from "../providers/contract.js";

/** Cuts an upstream body into events: SSE, or AWS's binary event frames. Throws on a broken framing. */
export interface EventDecoder {
  push(chunk: Buffer): StreamEvent[];
  end(): StreamEvent[];
}
