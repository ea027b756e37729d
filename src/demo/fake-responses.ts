import type { ServerResponse } from "node:http";
import { writePaced } from "./paced.js";

/**
 * The Responses API as the fake upstream speaks it (OpenAI's wire format): create (JSON or typed SSE
 * events, no [DONE]), and for stored responses retrieve, delete, cancel and input_items. Responses
 * live only on the fake that made them, as on a real deployment: a follow-up sent elsewhere is a 404.
 */
export class FakeResponses {
  readonly stored = new Map<string, { response: Record<string, unknown>; inputItems: unknown[] }>();
  private n = 0;

  constructor(private readonly label: string) {}

  /** Handles `…/responses[/{id}[/{sub}]]`; false when the path is not one. */
  handle(
    method: string,
    path: string,
    query: string,
    body: Record<string, unknown> | undefined,
    res: ServerResponse,
    headers: Record<string, string> | undefined,
    pace: StreamPace = {},
  ): boolean {
    const m = /\/responses(?:\/([^/]+)(?:\/(cancel|input_items))?)?$/.exec(path);
    if (!m) return false;
    const id = m[1] ? decodeURIComponent(m[1]) : undefined;
    const sub = m[2];
    if (id === undefined) {
      if (method === "POST") this.create(body ?? {}, res, headers, pace);
      else send(res, 405, err(`method ${method} not allowed`));
      return true;
    }
    const s = this.stored.get(id);
    if (!s) send(res, 404, err(`Response with id '${id}' not found.`));
    else if (sub === "input_items") {
      const desc = new URLSearchParams(query).get("order") !== "asc";
      const data = desc ? [...s.inputItems].reverse() : s.inputItems;
      send(res, 200, { object: "list", data, first_id: null, last_id: null, has_more: false });
    } else if (sub === "cancel") {
      send(res, 400, err("Only responses created with background=true can be cancelled."));
    } else if (method === "DELETE") {
      this.stored.delete(id);
      send(res, 200, { id, object: "response", deleted: true });
    } else send(res, 200, s.response);
    return true;
  }

  private create(
    body: Record<string, unknown>,
    res: ServerResponse,
    headers: Record<string, string> | undefined,
    pace: StreamPace,
  ): void {
    const prev = body.previous_response_id;
    if (typeof prev === "string" && !this.stored.has(prev)) {
      send(res, 404, {
        error: {
          message: `Previous response with id '${prev}' not found.`,
          type: "invalid_request_error",
          param: "previous_response_id",
          code: "previous_response_not_found",
        },
      });
      return;
    }
    this.n++;
    const id = `resp_${this.label}_${this.n}_${Math.random().toString(16).slice(2, 10)}`;
    const msgId = `msg_${this.label}_${this.n}`;
    const text = `Hello from ${this.label}${typeof prev === "string" ? ` (after ${prev})` : ""}`;
    const created = Math.floor(Date.now() / 1000);
    const base = {
      id,
      object: "response",
      created_at: created,
      status: "in_progress",
      error: null,
      incomplete_details: null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: typeof body.model === "string" ? body.model : "fake-model",
      output: [] as unknown[],
      parallel_tool_calls: true,
      previous_response_id: prev ?? null,
      reasoning: { effort: null, summary: null },
      store: body.store !== false,
      temperature: 1,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: 1,
      truncation: "disabled",
      usage: null as unknown,
      user: null,
      metadata: {},
    };
    const part = { type: "output_text", text, annotations: [] };
    const item = { id: msgId, type: "message", status: "completed", role: "assistant", content: [part] };
    const done = {
      ...base,
      status: "completed",
      output: [item],
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    };
    if (body.store !== false) {
      const input = body.input;
      const items =
        typeof input === "string"
          ? [
              {
                id: `msg_in_${this.n}`,
                type: "message",
                role: "user",
                content: [{ type: "input_text", text: input }],
              },
            ]
          : Array.isArray(input)
            ? input
            : [];
      this.stored.set(id, { response: done, inputItems: items });
    }
    if (body.stream !== true) {
      send(res, 200, done, headers);
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
    let seq = 0;
    const ev = (type: string, fields: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
    const loc = { item_id: msgId, output_index: 0, content_index: 0 };
    const words = text.split(/(?= )/);
    const events = [
      ev("response.created", { response: base }),
      ev("response.in_progress", { response: base }),
    ];
    events.push(
      ev("response.output_item.added", {
        output_index: 0,
        item: { ...item, status: "in_progress", content: [] },
      }),
    );
    events.push(ev("response.content_part.added", { ...loc, part: { ...part, text: "" } }));
    for (const w of words) events.push(ev("response.output_text.delta", { ...loc, delta: w, logprobs: [] }));
    events.push(ev("response.output_text.done", { ...loc, text, logprobs: [] }));
    events.push(ev("response.content_part.done", { ...loc, part }));
    events.push(ev("response.output_item.done", { output_index: 0, item }));
    events.push(ev("response.completed", { response: done }));
    writePaced(res, events, pace);
  }
}

/** Streaming: one event per write, this far apart, and/or the socket destroyed after this many events. */
export interface StreamPace {
  cutAfterChunks?: number | undefined;
  chunkIntervalMs?: number | undefined;
}

function err(message: string) {
  return { error: { message, type: "invalid_request_error", param: null, code: null } };
}

function send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const s = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(s),
    ...headers,
  });
  res.end(s);
}
