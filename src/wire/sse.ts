import type { StreamEvent } from "../providers/contract.js";

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a text/event-stream byte stream at event boundaries (a blank line: LF LF, CRLF CRLF or CR CR,
 * as the spec allows), so that what is forwarded is always whole events and the bytes are untouched.
 * `push` returns the complete events it now has as one Buffer — the chunk itself when it ends on a
 * boundary, which is how upstreams write — and keeps an incomplete tail for the next chunk.
 *
 * Written here rather than taken from eventsource-parser: that parser hands out decoded strings,
 * and a passthrough stream must forward the upstream's exact bytes, cut only where events end.
 */
export class SseFramer {
  private carry: Buffer | undefined;
  /** The previous byte ended a line (so a line terminator now ends an event). */
  private lineStart = true;
  /** The previous byte was CR: an LF now belongs to the same line terminator. */
  private lastCR = false;
  /** Complete events seen so far. */
  events = 0;

  push(chunk: Buffer): Buffer | undefined {
    const cut = this.scan(chunk);
    const carry = this.carry;
    if (cut === chunk.length) {
      this.carry = undefined;
      return carry ? Buffer.concat([carry, chunk]) : chunk;
    }
    if (cut < 0) {
      this.carry = carry ? Buffer.concat([carry, chunk]) : chunk;
      return undefined;
    }
    this.carry = chunk.subarray(cut);
    const head = chunk.subarray(0, cut);
    return carry ? Buffer.concat([carry, head]) : head;
  }

  /** The unterminated tail at the end of the body, if any (forwarded as is: it is the upstream's). */
  flush(): Buffer | undefined {
    const c = this.carry;
    this.carry = undefined;
    return c;
  }

  /** Offset just past the last event boundary in `chunk`, or -1. Counts the boundaries. */
  private scan(chunk: Buffer): number {
    let cut = -1;
    const hasCR = chunk.indexOf(CR) >= 0;
    if (!hasCR && !this.lastCR) {
      // The common case: LF only. Jump from LF to LF.
      let i = chunk.indexOf(LF);
      if (i < 0) {
        if (chunk.length > 0) this.lineStart = false;
        return -1;
      }
      let lineStart = this.lineStart;
      let prev = 0;
      while (i >= 0) {
        if (i > prev) lineStart = false;
        if (lineStart) {
          cut = i + 1;
          this.events++;
        }
        lineStart = true;
        prev = i + 1;
        i = chunk.indexOf(LF, prev);
      }
      this.lineStart = prev === chunk.length ? lineStart : false;
      return cut;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === LF && this.lastCR) {
        this.lastCR = false;
        if (cut === i) cut = i + 1; // the LF of a CRLF that ended an event belongs to it
        continue;
      }
      if (b === LF || b === CR) {
        this.lastCR = b === CR;
        if (this.lineStart) {
          cut = i + 1;
          this.events++;
        }
        this.lineStart = true;
      } else {
        this.lastCR = false;
        this.lineStart = false;
      }
    }
    return cut;
  }
}

/**
 * The events in `buf` (whole events, as SseFramer returns them), fields parsed as the spec says:
 * `data` lines joined with LF, one leading space after the colon dropped, comments and `id`/`retry`
 * ignored. Events without data (a lone comment, a keep-alive) are skipped.
 */
export function parseEvents(buf: Buffer): StreamEvent[] {
  const out: StreamEvent[] = [];
  const text = buf.toString("utf8");
  let event: string | undefined;
  let data: string[] | undefined;
  let i = 0;
  while (i <= text.length) {
    let end = i;
    while (end < text.length && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
    const line = text.slice(i, end);
    if (end < text.length && text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF) end++;
    i = end + 1;
    if (line === "") {
      if (data !== undefined) out.push({ event, data: data.join("\n") });
      event = undefined;
      data = undefined;
      if (end >= text.length) break;
      continue;
    }
    if (line.charCodeAt(0) === 0x3a) continue; // ":" comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === "data") {
      if (data) data.push(value);
      else data = [value];
    } else if (field === "event") event = value;
  }
  return out;
}

/** Whole events in `buf`, each as its own slice (bytes untouched; an unterminated tail is the last). */
export function splitEvents(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  let lineStart = true;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b !== LF && b !== CR) {
      lineStart = false;
      continue;
    }
    if (b === CR && buf[i + 1] === LF) i++;
    if (lineStart) {
      out.push(buf.subarray(start, i + 1));
      start = i + 1;
    }
    lineStart = true;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

/** One OpenAI-style SSE event for `value`. */
export function sseData(value: object | string): string {
  return `data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`;
}

/** What a stream that fails after it has started ends with: an OpenAI error body. */
export interface StreamError {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

/** A chat completions (or completions) stream's terminal error: `data: {"error": …}`. */
export function chatErrorEvent(e: StreamError): string {
  return sseData({ error: { message: e.message, type: e.type, param: e.param, code: e.code } });
}

/**
 * A Responses stream's terminal error, as OpenAI's Responses API sends it (ResponseErrorEvent):
 * `event: error`, data `{type: "error", code, message, param, sequence_number}` with the number after
 * the last event sent. The openai SDK throws an APIError for an `error` event (its code the data's);
 * the AI SDK's Responses chunk schema parses it into an error part (a bare `{"error": …}` it cannot).
 */
export function responsesErrorEvent(e: StreamError, sequenceNumber: number): string {
  const data = {
    type: "error",
    code: e.code,
    message: e.message,
    param: e.param,
    sequence_number: sequenceNumber,
  };
  return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The sequence_number of the last Responses event in `events` that has one, or undefined. Read once
 * a stream fails, never per event: the data is parsed here.
 */
export function lastSequenceNumber(events: Buffer): number | undefined {
  let last: number | undefined;
  for (const e of parseEvents(events)) {
    try {
      const n = (JSON.parse(e.data) as { sequence_number?: unknown }).sequence_number;
      if (typeof n === "number" && Number.isInteger(n)) last = n;
    } catch {
      // not JSON: not a Responses event
    }
  }
  return last;
}
