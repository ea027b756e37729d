import type { Provider, StreamEvent, StreamTranslator } from "../providers/contract.js";
import { parseEvents, SseFramer, sseData } from "../wire/sse.js";
import { addUsage, type Usage, usageJson } from "../wire/usage.js";
import type { AttemptFailure } from "./errors.js";
import type { EventDecoder } from "./event-decoder.js";
import { eventStreamDecoder } from "./eventstream.js";
import { invalidReply } from "./reply-check.js";

export type { EventDecoder } from "./event-decoder.js";

export function sseDecoder(): EventDecoder {
  const framer = new SseFramer();
  return {
    push(chunk) {
      const whole = framer.push(chunk);
      return whole ? parseEvents(whole) : [];
    },
    end() {
      const tail = framer.flush();
      return tail ? parseEvents(Buffer.concat([tail, Buffer.from("\n\n")])) : [];
    },
  };
}

export function decoderFor(p: Provider): EventDecoder {
  return p.framing === "eventstream" ? eventStreamDecoder() : sseDecoder();
}

/** An error the upstream sent inside its stream (after a 200). */
export class StreamErrorEvent extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.message);
  }
}

/**
 * A translating provider's stream: upstream bytes → events → the provider's translator → OpenAI
 * chunks as SSE text, event by event (nothing is buffered beyond an incomplete event). Usage is
 * collected; the client receives the usage chunk only when it asked (`stream_options.include_usage`).
 */
export class TranslatedStream {
  usage: Usage | undefined;
  private id: string | undefined;
  /** The translator saw the stream's final event (`done`). */
  private finished = false;
  /** An error event that followed translated events in one chunk: thrown once those are forwarded. */
  private pending: AttemptFailure | undefined;

  constructor(
    private readonly decoder: EventDecoder,
    private readonly translator: StreamTranslator,
    private readonly clientAsked: boolean,
    private readonly what = "upstream stream",
  ) {}

  /** SSE text to forward for this chunk ("" when nothing is complete yet). Throws StreamErrorEvent. */
  take(chunk: Buffer): string {
    this.throwPending();
    let out = "";
    for (const e of this.decode(() => this.decoder.push(chunk))) {
      if (this.finished) break; // nothing after the final event is part of the answer
      const step = this.translator.push(e);
      if ("error" in step) {
        if (out === "") throw new StreamErrorEvent(step.error);
        // Events translated before the error arrived in the same chunk are the client's first, as they
        // would be had they come a packet earlier: the stream commits on them and then ends with the error.
        this.pending = step.error;
        return out;
      }
      if (step.usage) this.usage = addUsage(undefined, step.usage);
      if (step.done) this.finished = true;
      for (const c of step.chunks) out += this.chunk(c);
    }
    return out;
  }

  /** The body ended normally: closing chunks, the usage chunk if asked, and `[DONE]`. */
  end(): string {
    this.throwPending();
    let out = "";
    for (const e of this.decode(() => this.decoder.end())) {
      if (this.finished) break;
      const step = this.translator.push(e);
      if ("error" in step) throw new StreamErrorEvent(step.error);
      if (step.usage) this.usage = step.usage;
      if (step.done) this.finished = true;
      for (const c of step.chunks) out += this.chunk(c);
    }
    const last = this.translator.end();
    if (last.usage) this.usage = last.usage;
    for (const c of last.chunks) out += this.chunk(c);
    // As a passthrough stream without [DONE]: a body that ends before the provider's final event was
    // cut, and the client must not take the partial answer for a whole one.
    if (!this.finished)
      throw new StreamErrorEvent(invalidReply(this.what, "a stream that ended before its final event"));
    if (this.clientAsked && this.usage) {
      out += sseData({
        id: this.id,
        object: "chat.completion.chunk",
        choices: [],
        usage: usageJson(this.usage),
      });
    }
    return `${out}data: [DONE]\n\n`;
  }

  /** A framing the decoder cannot read (a bad CRC, a frame cut short) is the upstream's broken answer. */
  private decode(f: () => StreamEvent[]): StreamEvent[] {
    try {
      return f();
    } catch (err) {
      throw new StreamErrorEvent(invalidReply(this.what, (err as Error).message));
    }
  }

  private throwPending(): void {
    const f = this.pending;
    if (f === undefined) return;
    this.pending = undefined;
    throw new StreamErrorEvent(f);
  }

  private chunk(c: object): string {
    this.id ??= (c as { id?: string }).id;
    return sseData(c);
  }
}
