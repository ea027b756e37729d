import { EventStreamCodec, type MessageHeaders } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { StreamEvent } from "../providers/contract.js";
import type { EventDecoder } from "./event-decoder.js";

/**
 * AWS's binary `application/vnd.amazon.eventstream` framing (Bedrock ConverseStream): each message is
 * a prelude (total length, headers length, prelude CRC32), typed headers, a payload and a message
 * CRC32. Bytes are cut into whole messages here; the maintained codec checks both CRCs and parses
 * the headers. A broken frame throws (`FramingError`): the stream is not what it claims to be.
 */

/** Far above any Bedrock event (a few KB); a larger prelude length is a corrupt stream, not a big event. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Prelude (8) + prelude CRC (4) + message CRC (4). */
const MIN_MESSAGE_BYTES = 16;

export class FramingError extends Error {}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * An event-stream message as an event: `:event-type` for events; `exception:<:exception-type>` for
 * modelled exceptions (throttlingException …); `error:<:error-code>` for errors, whose data is then
 * `{"message": <:error-message>}`.
 */
export function toStreamEvent(headers: MessageHeaders, body: Uint8Array): StreamEvent {
  const h = (name: string): string | undefined => {
    const v = headers[name];
    return v && v.type === "string" ? v.value : undefined;
  };
  const type = h(":message-type") ?? "event";
  const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  if (type === "exception") return { event: `exception:${h(":exception-type") ?? "unknown"}`, data };
  if (type === "error")
    return {
      event: `error:${h(":error-code") ?? "unknown"}`,
      data: JSON.stringify({ message: h(":error-message") ?? "" }),
    };
  return { event: h(":event-type"), data };
}

export function eventStreamDecoder(): EventDecoder {
  let pending: Buffer = Buffer.alloc(0);
  // Frames that came before a broken one in the same chunk are delivered first; the error follows.
  let broken: FramingError | undefined;
  const take = (): StreamEvent[] => {
    if (broken) throw broken;
    const out: StreamEvent[] = [];
    try {
      cut(out);
    } catch (err) {
      if (!(err instanceof FramingError) || out.length === 0) throw err;
      broken = err;
    }
    return out;
  };
  const cut = (out: StreamEvent[]): void => {
    while (pending.length >= 4) {
      const total = pending.readUInt32BE(0);
      if (total < MIN_MESSAGE_BYTES || total > MAX_MESSAGE_BYTES)
        throw new FramingError(`an event-stream frame with an impossible length (${total} bytes)`);
      if (pending.length < total) break;
      const frame = pending.subarray(0, total);
      pending = pending.subarray(total);
      let msg: ReturnType<typeof codec.decode>;
      try {
        msg = codec.decode(frame);
      } catch (err) {
        throw new FramingError(`an event-stream frame that failed its check (${(err as Error).message})`);
      }
      out.push(toStreamEvent(msg.headers, msg.body));
    }
  };
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      return take();
    },
    end() {
      const events = take();
      if (pending.length > 0) throw new FramingError("an event-stream cut inside a frame");
      return events;
    },
  };
}
