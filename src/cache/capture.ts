import type { CommittedStream } from "../upstream/call-types.js";
import type { ChunkSink } from "../upstream/chunks.js";
import { parseEvents, SseFramer } from "../wire/sse.js";
import { type Usage, usageJson } from "../wire/usage.js";
import { assembleStream } from "./assemble.js";
import { assembleResponse } from "./responses-replay.js";

/**
 * Records what a committed stream sends the client, to store the answer once the stream has ended
 * normally. Past `maxBytes` it stops recording (the answer is too big to cache) but the stream
 * itself is untouched: the same chunks reach the client, with the same backpressure.
 */
export class StreamCapture {
  private readonly framer = new SseFramer();
  private readonly seen: string[] = [];
  private bytes = 0;
  private overflow = false;

  constructor(
    /** chat and completions streams can be assembled; others (responses) are kept as events. */
    private readonly op: string,
    private readonly maxBytes: number,
  ) {}

  wrap(s: CommittedStream): CommittedStream {
    this.take(typeof s.first === "string" ? Buffer.from(s.first) : s.first);
    return {
      first: s.first,
      cancel: s.cancel,
      errorEvent: s.errorEvent,
      pipe: (sink: ChunkSink) =>
        s.pipe({
          write: (chunk: Buffer) => {
            this.take(chunk);
            return sink.write(chunk);
          },
          once: (event, listener) => sink.once(event, listener),
        }),
    };
  }

  /** The whole answer as JSON text, or undefined (too big, cut, not JSON, no finish_reason). */
  answer(usage: Usage | undefined): string | undefined {
    if (this.overflow) return undefined;
    if (this.op === "responses") {
      const r = assembleResponse(this.seen);
      return r ? JSON.stringify(r) : undefined;
    }
    if (this.op !== "chat" && this.op !== "completions") return undefined;
    const a = assembleStream(this.op, this.seen, usage ? usageJson(usage) : undefined);
    return a ? JSON.stringify(a) : undefined;
  }

  /** The `data` of every event so far (what a cut stream or a Responses stream leaves); [] past maxBytes. */
  get events(): readonly string[] {
    return this.seen;
  }

  get tooLarge(): boolean {
    return this.overflow;
  }

  private take(chunk: Buffer): void {
    if (this.overflow || chunk.length === 0) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.overflow = true;
      this.seen.length = 0;
      return;
    }
    const whole = this.framer.push(chunk);
    if (whole) for (const e of parseEvents(whole)) this.seen.push(e.data);
  }
}
