import { randomUUID } from "node:crypto";
import type { CallResult } from "../router/attempt.js";
import type { Deployment, Operation } from "../router/deployment.js";
import type { Usage } from "../wire/usage.js";
import type { UpstreamReply } from "./call.js";

/**
 * Deployments with `mock_response` answer locally (LiteLLM's feature): for demos, tests and
 * health checks. The reply goes through the same routing, headers and region checks as any other.
 */
export function mockReply(d: Deployment, op: Operation, stream: boolean): CallResult<UpstreamReply> {
  const content = typeof d.mockResponse === "string" ? d.mockResponse : "";
  const created = Math.floor(Date.now() / 1000);
  const id = `chatcmpl-mock-${randomUUID()}`;
  const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
  const headers = { "content-type": stream ? "text/event-stream" : "application/json" };
  if (typeof d.mockResponse === "object" && !stream) {
    return ok(headers, Buffer.from(JSON.stringify(d.mockResponse)));
  }
  if (op === "embeddings") {
    const body = {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0, 0, 0] }],
      model: d.upstreamModel,
      usage,
    };
    return ok(headers, Buffer.from(JSON.stringify(body)));
  }
  if (!stream) {
    const body =
      op === "chat"
        ? {
            id,
            object: "chat.completion",
            created,
            model: d.upstreamModel,
            choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
            usage,
          }
        : {
            id,
            object: "text_completion",
            created,
            model: d.upstreamModel,
            choices: [{ index: 0, text: content, finish_reason: "stop" }],
            usage,
          };
    return ok(headers, Buffer.from(JSON.stringify(body)));
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    Buffer.from(
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: d.upstreamModel, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
    );
  const rest = [chunk({ content }, null), chunk({}, "stop"), Buffer.from("data: [DONE]\n\n")];
  let cancelled = false;
  return {
    ok: true,
    value: {
      status: 200,
      headers,
      body: undefined,
      usage: undefined,
      stream: {
        first: chunk({ role: "assistant", content: "" }, null),
        async pipe(sink) {
          for (const c of rest) {
            if (cancelled) break;
            if (!sink.write(c))
              await new Promise<void>((r) => {
                sink.once("drain", r);
                sink.once("close", r);
              });
          }
          return MOCK_USAGE;
        },
        cancel: () => {
          cancelled = true;
        },
      },
    },
  };
}

const MOCK_USAGE: Usage = { prompt: 1, completion: 1, total: 2 };

function ok(headers: Record<string, string>, body: Buffer): CallResult<UpstreamReply> {
  return {
    ok: true,
    value: { status: 200, headers, body, usage: MOCK_USAGE, stream: undefined },
  };
}
