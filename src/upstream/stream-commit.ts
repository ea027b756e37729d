import type { IncomingHttpHeaders } from "node:http";
import type { Provider } from "../providers/contract.js";
import type { CallResult } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import { lastSequenceNumber, parseEvents, responsesErrorEvent, SseFramer } from "../wire/sse.js";
import type { Usage } from "../wire/usage.js";
import type { CallContext, CommittedStream } from "./call-types.js";
import type { ChunkQueue, ChunkSink } from "./chunks.js";
import { invalidReply, notEventStreamStart, notEventStreamType } from "./reply-check.js";
import { StreamUsageTap } from "./stream-usage.js";
import { decoderFor, StreamErrorEvent, TranslatedStream } from "./translated-stream.js";

interface StreamingResponse {
  headers: IncomingHttpHeaders;
  body: ChunkQueue;
}

/**
 * Reads a streaming answer up to its first whole event and decides whether to commit: the body must
 * be an event stream (a JSON error body or an HTML page answering `stream: true` is a failure, and may
 * still fall over), and for a translating provider the first event must translate into at least one
 * OpenAI chunk (an error event before that is a failure too). Once this returns ok, the client is
 * given the stream and no other deployment will be tried.
 */
export async function commitStream(
  provider: Provider,
  d: Deployment,
  ctx: CallContext,
  res: StreamingResponse,
  what: string,
  abort: () => void,
): Promise<CallResult<CommittedStream>> {
  const body = res.body;
  const refuse = (detail: string): CallResult<CommittedStream> => {
    body.destroy();
    return { ok: false, failure: invalidReply(what, detail) };
  };
  const wrongType = provider.framing === "sse" ? notEventStreamType(res.headers) : undefined;
  if (wrongType) return refuse(wrongType);
  const cancel = () => {
    abort();
    body.destroy();
  };

  if (provider.passthrough || !provider.stream) {
    const framer = new SseFramer();
    const tap = new StreamUsageTap(ctx.clientWantsUsage);
    // Whole events are held until one carries data (a keep-alive comment is not a commitment).
    const held: Buffer[] = [];
    for (;;) {
      const r = await body.next();
      if (r.done) {
        const tail = framer.flush();
        if (tail) held.push(tail);
        break;
      }
      const whole = framer.push(r.value);
      if (!whole) continue;
      held.push(whole);
      if (parseEvents(whole).length > 0) break;
    }
    const first = held.length === 1 ? held[0] : Buffer.concat(held);
    if (!first || first.length === 0) return refuse("an empty stream");
    const notSse = notEventStreamStart(first) ?? notOpenAiEvent(first);
    if (notSse) return refuse(notSse);
    let last: Buffer = first;
    // A Responses stream that fails ends with an error event numbered after the last one forwarded:
    // the last whole events that carried a sequence_number are kept (a reference) and read then.
    const responses = ctx.op === "responses";
    let numbered: Buffer | undefined = responses && first.includes(SEQUENCE_NUMBER) ? first : undefined;
    const pipe = async (sink: ChunkSink): Promise<Usage | undefined> => {
      await body.pipeTo({
        write(chunk) {
          const whole = framer.push(chunk);
          if (whole) {
            last = whole;
            if (responses && whole.includes(SEQUENCE_NUMBER)) numbered = whole;
          }
          const out = whole && tap.take(whole);
          return out ? sink.write(out) : true;
        },
        once: (event, listener) => sink.once(event, listener),
      });
      const tail = framer.flush();
      const out = tail && tap.take(tail);
      if (out) sink.write(out);
      // An OpenAI stream ends with `data: [DONE]`; one that stops short was cut or is broken, and the
      // client must hear so rather than take a partial answer for a whole one.
      const end = tail && tail.length > 0 ? tail : last;
      if (ctx.op === "responses" ? !endsWithResponseEnd(end) : !endsWithDone(end))
        throw new StreamErrorEvent(
          invalidReply(
            what,
            ctx.op === "responses"
              ? "a stream that ended without response.completed"
              : "a stream that ended without [DONE]",
          ),
        );
      return tap.usage;
    };
    const value: CommittedStream = { first: tap.take(first) ?? "", pipe, cancel };
    if (responses) {
      value.errorEvent = (e) => {
        const seq = numbered && lastSequenceNumber(numbered);
        // An upstream that numbers none of its events: the count of events forwarded (numbers start at 0).
        return responsesErrorEvent(e, seq === undefined ? framer.events : seq + 1);
      };
    }
    return { ok: true, value };
  }

  const ts = new TranslatedStream(decoderFor(provider), provider.stream(d, ctx), ctx.clientWantsUsage, what);
  let first = "";
  let ended = false;
  try {
    while (first === "") {
      const r = await body.next();
      if (r.done) {
        ended = true;
        first = ts.end();
        break;
      }
      first = ts.take(r.value);
    }
  } catch (err) {
    if (err instanceof StreamErrorEvent) {
      body.destroy();
      return { ok: false, failure: err.failure };
    }
    throw err;
  }
  if (ended && first === "data: [DONE]\n\n") return refuse("a stream without any event");
  const pipe = async (sink: ChunkSink): Promise<Usage | undefined> => {
    if (!ended) {
      await body.pipeTo({
        write(chunk) {
          let out: string;
          try {
            out = ts.take(chunk);
          } catch (err) {
            // Called from the upstream's data handler: never throw there; end the body with it instead.
            body.fail(err as Error);
            return true;
          }
          return out === "" || sink.write(Buffer.from(out));
        },
        once: (event, listener) => sink.once(event, listener),
      });
      sink.write(Buffer.from(ts.end()));
    }
    return ts.usage;
  };
  return { ok: true, value: { first, pipe, cancel } };
}

const DONE = Buffer.from("[DONE]");
const SEQUENCE_NUMBER = Buffer.from('"sequence_number"');

function endsWithDone(buf: Buffer): boolean {
  const at = buf.lastIndexOf(DONE);
  if (at < 0) return false;
  for (let i = at + DONE.length; i < buf.length; i++) if (buf[i] > 0x20) return false;
  return true;
}

/** The Responses API's final events: it sends no [DONE]. */
const RESPONSE_ENDS = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

function endsWithResponseEnd(buf: Buffer): boolean {
  const events = parseEvents(buf);
  const e = events[events.length - 1];
  if (!e) return false;
  if (e.event !== undefined) return RESPONSE_ENDS.has(e.event);
  try {
    return RESPONSE_ENDS.has((JSON.parse(e.data) as { type?: string }).type ?? "");
  } catch {
    return false;
  }
}

/** The first event of an OpenAI stream is a JSON chunk (or `[DONE]`); anything else is not one. */
function notOpenAiEvent(first: Buffer): string | undefined {
  const e = parseEvents(first)[0];
  if (!e || e.data === "[DONE]") return undefined;
  try {
    const v = JSON.parse(e.data) as unknown;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return undefined;
  } catch {
    // below
  }
  return "a first event whose data is not a JSON object";
}
