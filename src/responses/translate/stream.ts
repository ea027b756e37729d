import type { CommittedStream } from "../../upstream/call-types.js";
import { parseEvents, responsesErrorEvent, type StreamError } from "../../wire/sse.js";
import { type Usage, usageOf } from "../../wire/usage.js";
import { finishOf, functionCallItem, messageItem, newId, usageObject } from "./response.js";

type Item = Record<string, unknown>;

interface OpenCall {
  item: string;
  callId: string;
  name: string;
  args: string;
  outputIndex: number;
}

/**
 * A chat completions stream as the Responses API's typed events, as the official SDK and the
 * Vercel AI SDK read them: response.created, response.in_progress, then per output item
 * output_item.added / content_part.added / output_text.delta … done (text) or
 * function_call_arguments.delta … done (tool calls), and response.completed (or
 * response.incomplete) with usage. Whole chat SSE events in, response SSE text out.
 */
export class ChatToResponses {
  private seq = 0;
  private outputIndex = -1;
  private text: { item: string; text: string; outputIndex: number; closed: boolean } | undefined;
  private readonly calls = new Map<number, OpenCall>();
  private readonly output: Item[] = [];
  private finish: unknown;
  usage: Usage | undefined;

  constructor(private readonly shell: Item) {}

  start(): string {
    return (
      this.event("response.created", { response: this.shell }) +
      this.event("response.in_progress", { response: this.shell })
    );
  }

  take(events: Buffer | string): string {
    const buf = typeof events === "string" ? Buffer.from(events) : events;
    let out = "";
    for (const e of parseEvents(buf)) {
      if (e.data === "[DONE]") continue;
      let chunk: Item;
      try {
        chunk = JSON.parse(e.data) as Item;
      } catch {
        continue;
      }
      if (chunk.usage && typeof chunk.usage === "object")
        this.usage = usageOf(Buffer.from(e.data)) ?? this.usage;
      const choice = (chunk.choices as Item[] | undefined)?.[0];
      if (!choice) continue;
      const delta = (choice.delta ?? {}) as Item;
      if (typeof delta.content === "string" && delta.content !== "") out += this.textDelta(delta.content);
      if (Array.isArray(delta.tool_calls))
        for (const tc of delta.tool_calls as Item[]) out += this.callDelta(tc);
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return out;
  }

  /** Closing events and the final response; `beforeCompleted` runs before response.completed is sent. */
  async end(
    usage: Usage | undefined,
    beforeCompleted: (response: Item, output: Item[]) => Promise<void>,
  ): Promise<string> {
    if (usage) this.usage = usage;
    let out = "";
    if (!this.text && this.calls.size === 0) out += this.textDelta("");
    out += this.closeText();
    for (const c of this.calls.values()) {
      out += this.event("response.function_call_arguments.done", {
        item_id: c.item,
        output_index: c.outputIndex,
        arguments: c.args,
      });
      const item = functionCallItem(c.item, c.callId, c.name, c.args, "completed");
      this.output[c.outputIndex] = item;
      out += this.event("response.output_item.done", { output_index: c.outputIndex, item });
    }
    const fin = finishOf(this.finish);
    const response = { ...this.shell, ...fin, output: this.output, usage: usageObject(this.usage) };
    await beforeCompleted(response, this.output);
    out += this.event(fin.status === "completed" ? "response.completed" : "response.incomplete", {
      response,
    });
    return out;
  }

  /** The error event that ends a stream failing midway, numbered after the last event sent. */
  error(e: StreamError): string {
    return responsesErrorEvent(e, this.seq++);
  }

  private textDelta(delta: string): string {
    let out = "";
    if (!this.text) {
      const item = newId("msg");
      this.outputIndex++;
      this.text = { item, text: "", outputIndex: this.outputIndex, closed: false };
      this.output[this.outputIndex] = messageItem(item, "", "in_progress");
      out += this.event("response.output_item.added", {
        output_index: this.outputIndex,
        item: messageItem(item, "", "in_progress"),
      });
      out += this.event("response.content_part.added", {
        item_id: item,
        output_index: this.outputIndex,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      });
    }
    if (delta === "" || this.text.closed) return out;
    this.text.text += delta;
    return (
      out +
      this.event("response.output_text.delta", {
        item_id: this.text.item,
        output_index: this.text.outputIndex,
        content_index: 0,
        delta,
        logprobs: [],
      })
    );
  }

  private closeText(): string {
    const t = this.text;
    if (!t || t.closed) return "";
    t.closed = true;
    const part = { type: "output_text", text: t.text, annotations: [], logprobs: [] };
    const item = messageItem(t.item, t.text, "completed");
    this.output[t.outputIndex] = item;
    return (
      this.event("response.output_text.done", {
        item_id: t.item,
        output_index: t.outputIndex,
        content_index: 0,
        text: t.text,
        logprobs: [],
      }) +
      this.event("response.content_part.done", {
        item_id: t.item,
        output_index: t.outputIndex,
        content_index: 0,
        part,
      }) +
      this.event("response.output_item.done", { output_index: t.outputIndex, item })
    );
  }

  private callDelta(tc: Item): string {
    const index = typeof tc.index === "number" ? tc.index : 0;
    const fn = (tc.function ?? {}) as Item;
    let out = "";
    let c = this.calls.get(index);
    if (!c) {
      out += this.closeText();
      this.outputIndex++;
      c = {
        item: newId("fc"),
        callId: String(tc.id ?? newId("fc")),
        name: String(fn.name ?? ""),
        args: "",
        outputIndex: this.outputIndex,
      };
      this.calls.set(index, c);
      const item = functionCallItem(c.item, c.callId, c.name, "", "in_progress");
      this.output[c.outputIndex] = item;
      out += this.event("response.output_item.added", { output_index: c.outputIndex, item });
    }
    if (typeof fn.arguments === "string" && fn.arguments !== "") {
      c.args += fn.arguments;
      out += this.event("response.function_call_arguments.delta", {
        item_id: c.item,
        output_index: c.outputIndex,
        delta: fn.arguments,
      });
    }
    return out;
  }

  private event(type: string, fields: Item): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...fields })}\n\n`;
  }
}

/**
 * A committed chat stream, re-emitted as Responses events. `beforeCompleted` (remembering the
 * response and its conversation) runs before the final event, so a client that sends a follow-up
 * the moment it sees response.completed finds the state.
 */
export function responsesStream(
  chat: CommittedStream,
  conv: ChatToResponses,
  beforeCompleted: (response: Item, output: Item[]) => Promise<void>,
): CommittedStream {
  const first = conv.start() + conv.take(typeof chat.first === "string" ? chat.first : chat.first);
  return {
    first,
    cancel: () => chat.cancel(),
    errorEvent: (e) => conv.error(e),
    async pipe(sink) {
      const usage = await chat.pipe({
        write(chunk) {
          const out = conv.take(chunk);
          return out === "" || sink.write(Buffer.from(out));
        },
        once: (event, listener) => sink.once(event, listener),
      });
      sink.write(Buffer.from(await conv.end(usage, beforeCompleted)));
      return usage ?? conv.usage;
    },
  };
}
