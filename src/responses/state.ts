import type { Affinity } from "../affinity/affinity.js";
import type { ObjectCall } from "../providers/contract.js";
import type { CallResult } from "../router/attempt.js";
import type { UpstreamReply } from "../upstream/call.js";
import { type Held, RESPONSE } from "./plan.js";
import type { ChatMessage } from "./translate/request.js";

/**
 * What Meridian keeps for a response it made through the chat translation (the upstream keeps
 * nothing): the conversation so far for `previous_response_id`, the response for retrieve, and the
 * request's input items. It lives in Meridian's store (affinity `data`), wherever that database is.
 */
export interface TranslatedState {
  messages: ChatMessage[];
  response: Record<string, unknown>;
  inputItems: Record<string, unknown>[];
}

/** retrieve, delete and input_items of a translated response, answered from the store. */
export async function localFollowUp(
  affinity: Affinity,
  held: Held,
  o: ObjectCall,
): Promise<CallResult<UpstreamReply>> {
  const state = held.entry.data as TranslatedState;
  let body: unknown;
  if (o.action === "delete") {
    await affinity.forget(RESPONSE, o.id);
    body = { id: o.id, object: "response", deleted: true };
  } else if (o.action === "input_items") {
    body = listOf(state.inputItems ?? [], new URLSearchParams(o.query));
  } else {
    body = state.response;
  }
  const buf = Buffer.from(JSON.stringify(body));
  return {
    ok: true,
    value: {
      status: 200,
      headers: { "content-type": "application/json" },
      body: buf,
      usage: undefined,
      stream: undefined,
    },
  };
}

/** OpenAI's cursor list: `order` (desc by default), `after`, `limit` (20, at most 100). */
function listOf(items: Record<string, unknown>[], q: URLSearchParams): Record<string, unknown> {
  let list = q.get("order") === "asc" ? [...items] : [...items].reverse();
  const after = q.get("after");
  if (after) {
    const at = list.findIndex((i) => i.id === after);
    if (at >= 0) list = list.slice(at + 1);
  }
  const limit = Math.min(100, Math.max(1, Number(q.get("limit") ?? 20) || 20));
  const page = list.slice(0, limit);
  return {
    object: "list",
    data: page,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
    has_more: list.length > page.length,
  };
}
