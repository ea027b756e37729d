import type { IncomingHttpHeaders } from "node:http";
import type { Affinity } from "../affinity/affinity.js";
import { ownerOf } from "../affinity/owner.js";
import type { AttemptDeps } from "../pipeline/attempt.js";
import type { ProxyRequest } from "../pipeline/types.js";
import type { Provider } from "../providers/contract.js";
import { type CallResult, type LoopSuccess, runAttempts } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import { runPinned } from "../router/pinned.js";
import { type CallContext, callDeployment, type UpstreamReply } from "../upstream/call.js";
import { mockReply } from "../upstream/mock.js";
import { invalidReply } from "../upstream/reply-check.js";
import { parseEvents } from "../wire/sse.js";
import { type Held, RESPONSE, type ResponsesPlan } from "./plan.js";
import { localFollowUp, type TranslatedState } from "./state.js";
import { type ChatMessage, inputMessages, toChatBody } from "./translate/request.js";
import { assistantMessage, fromChatCompletion, newId, responseShell } from "./translate/response.js";
import { ChatToResponses, responsesStream } from "./translate/stream.js";

export interface ResponsesAttemptDeps extends AttemptDeps {
  affinity: Affinity;
  onRememberError: (err: unknown) => void;
}

const RELEASED: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Whether a deployment answers the Responses API itself, or through the chat translation: a provider
 * without the operation (translating providers, mocks), or one marked `use_chat_completions_api`.
 */
export function translates(d: Deployment, provider: Provider | undefined): boolean {
  return (
    d.mockResponse !== undefined || d.useChatCompletionsApi === true || !provider?.operations.has("responses")
  );
}

/**
 * The attempt stage for the Responses API: the same loop as chat (retries, fallbacks, the one region
 * filter), or — when the request names a stored response — only the deployment that holds it
 * (runPinned: retries there, no fallback). Each attempt goes to the upstream's /responses, or through
 * the chat translation; a created response is remembered (id -> deployment, and for translated
 * ones the conversation) before the client can send a follow-up.
 */
export function responsesAttempt(
  deps: ResponsesAttemptDeps,
  req: ProxyRequest,
  plan: ResponsesPlan,
): {
  run: Promise<LoopSuccess<UpstreamReply>>;
  upstreamMs: () => number;
  release: () => void;
  stream: boolean;
} {
  const body = plan.body;
  const stream = !req.object && body.stream === true;
  const ctx: CallContext = {
    op: "responses",
    body,
    stream,
    wantUsage: true,
    clientWantsUsage: false,
    signal: req.signal,
    object: req.object,
  };
  const remember = (d: Deployment, id: string, data?: TranslatedState) =>
    deps.affinity
      .remember(RESPONSE, id, d.id, { geographies: plan.policy.allowed, data, owner: ownerOf(req.principal) })
      .then(
        () => undefined,
        (err) => deps.onRememberError(err),
      );
  const stores = body.store !== false;
  let upstreamMs = 0;
  const call = async (d: Deployment): Promise<CallResult<UpstreamReply>> => {
    const t = performance.now();
    try {
      const provider = deps.providers[d.provider];
      if (req.object && plan.held?.entry.data !== undefined)
        return localFollowUp(deps.affinity, plan.held, req.object);
      if (translates(d, provider))
        return await translated(deps, d, provider, ctx, plan.held, stores ? remember : undefined);
      const r = await callDeployment(d, deps.targets.get(d.id)!, provider, deps.pools, ctx);
      if (r.ok && !req.object && stores) await rememberNative(d, r.value, remember);
      if (r.ok && req.object?.action === "delete")
        await deps.affinity.forget(RESPONSE, req.object.id).catch(deps.onRememberError);
      return r;
    } finally {
      upstreamMs += performance.now() - t;
    }
  };
  const run = plan.held
    ? runPinned(deps.router, {
        // a wildcard deployment (`openai/*`) takes the upstream model from the client's, as in runAttempts
        deployment:
          plan.model === undefined
            ? plan.held.deployment
            : deps.router.bind(plan.held.deployment, plan.model),
        policy: plan.policy,
        signal: req.signal,
        call,
        holdUntilRelease: stream,
      })
    : runAttempts(deps.router, {
        group: plan.group,
        model: plan.model,
        policy: plan.policy,
        signal: req.signal,
        estimatedTokens: estimateTokens(req.headers),
        holdUntilRelease: stream,
        call,
      });
  return {
    run,
    upstreamMs: () => upstreamMs,
    release: () => {
      (ctx as { body: Readonly<Record<string, unknown>> }).body = RELEASED;
    },
    stream,
  };
}

/** The id of a response the upstream created: the body's `id`, or the response.created event's. */
async function rememberNative(
  d: Deployment,
  up: UpstreamReply,
  remember: (d: Deployment, id: string) => Promise<void>,
): Promise<void> {
  let id: unknown;
  try {
    if (up.body) id = (JSON.parse(up.body.toString("utf8")) as { id?: unknown }).id;
    else if (up.stream) {
      const first = typeof up.stream.first === "string" ? Buffer.from(up.stream.first) : up.stream.first;
      for (const e of parseEvents(first)) {
        const v = JSON.parse(e.data) as { type?: string; response?: { id?: unknown } };
        if (v.response?.id !== undefined) {
          id = v.response.id;
          break;
        }
      }
    }
  } catch {
    id = undefined;
  }
  if (typeof id === "string" && id !== "") await remember(d, id);
}

/** One attempt through the chat translation. */
async function translated(
  deps: ResponsesAttemptDeps,
  d: Deployment,
  provider: Provider,
  ctx: CallContext,
  held: Held | undefined,
  remember: ((d: Deployment, id: string, data?: TranslatedState) => Promise<void>) | undefined,
): Promise<CallResult<UpstreamReply>> {
  const body = ctx.body;
  const history = ((held?.entry.data as TranslatedState | undefined)?.messages ?? []) as ChatMessage[];
  const chatBody = toChatBody(body, history);
  const chatCtx: CallContext = {
    ...ctx,
    op: "chat",
    body: chatBody,
    clientWantsUsage: true,
    object: undefined,
  };
  const r =
    d.mockResponse !== undefined
      ? mockReply(d, "chat", ctx.stream)
      : await callDeployment(d, deps.targets.get(d.id)!, provider, deps.pools, chatCtx);
  if (!r.ok) return r;
  const id = newId("resp");
  const shell = responseShell(id, body, d.upstreamModel, Math.floor(Date.now() / 1000));
  const turn = inputMessages(body.input);
  const keep = async (response: Record<string, unknown>, output: Record<string, unknown>[]) => {
    if (!remember) return;
    const state: TranslatedState = {
      messages: [...history, ...turn, assistantMessage(output)],
      response,
      inputItems: inputItemsOf(body.input),
    };
    await remember(d, id, state);
  };
  const up = r.value;
  if (up.stream) {
    const s = responsesStream(up.stream, new ChatToResponses(shell), keep);
    return {
      ok: true,
      value: { ...up, headers: { ...up.headers, "content-type": "text/event-stream" }, stream: s },
    };
  }
  let out: ReturnType<typeof fromChatCompletion>;
  try {
    out = fromChatCompletion(JSON.parse((up.body ?? Buffer.alloc(0)).toString("utf8")), shell, up.usage);
  } catch (err) {
    return { ok: false, failure: invalidReply(`deployment ${d.id}`, (err as Error).message) };
  }
  await keep(out.response, out.output);
  return {
    ok: true,
    value: {
      ...up,
      headers: { ...up.headers, "content-type": "application/json" },
      body: Buffer.from(JSON.stringify(out.response)),
    },
  };
}

/** The request's input as the items `GET /v1/responses/{id}/input_items` lists (each with an id). */
function inputItemsOf(input: unknown): Record<string, unknown>[] {
  if (typeof input === "string")
    return [
      {
        id: newId("msg"),
        type: "message",
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: input }],
      },
    ];
  if (!Array.isArray(input)) return [];
  return (input as Record<string, unknown>[])
    .filter((i) => i && typeof i === "object")
    .map((i) => {
      const type = i.type ?? "message";
      const item: Record<string, unknown> = {
        id: i.id ?? newId(type === "message" ? "msg" : "fc"),
        type,
        ...i,
      };
      if (type === "message" && typeof i.content === "string")
        item.content = [{ type: i.role === "assistant" ? "output_text" : "input_text", text: i.content }];
      return item;
    });
}

function estimateTokens(headers: IncomingHttpHeaders): number {
  const len = Number(headers["content-length"] ?? 0);
  return Number.isFinite(len) ? Math.ceil(len / 4) : 0;
}
