import type { Provider, StreamEvent, StreamTranslator, TranslateStep } from "../../src/providers/contract.js";
import { splitBase } from "../../src/providers/openai-body.js";
import type { Deployment } from "../../src/router/deployment.js";
import { type AttemptFailure, failureFromResponse } from "../../src/upstream/errors.js";
import { type Usage, usageJson } from "../../src/wire/usage.js";

/**
 * A translating provider that exists only in tests: a wire format of its own, deliberately unlike
 * OpenAI's, so that everything a client sees has gone through the contract's decode / translator /
 * mapError and nothing could have been forwarded as is.
 *
 * Request:   POST /toy/generate or /toy/stream, `{"engine", "prompt_text", "max"}`, key in `x-toy-key`
 * Response:  `{"output": {"text"}, "counts": {"in", "out"}, "stop": "done" | "max"}`
 * Stream:    `event: piece` `{"t"}` …, then `event: finish` `{"stop", "counts"}`;
 *            `event: oops` `{"why"}` is an error the upstream reports inside its stream
 * Errors:    non-2xx with `{"problem": "..."}`
 */
export const TOY_PREFIX = "toy";

export interface ToyRequest {
  engine: string;
  prompt_text: string;
  max: number | null;
}

interface ToyCounts {
  in: number;
  out: number;
}

const STOP: Record<string, string> = { done: "stop", max: "length" };

export const toyProvider: Provider = {
  contract: 2,
  passthrough: false,
  framing: "sse",
  operations: new Set(["chat"]),
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (d.apiKey) headers["x-toy-key"] = d.apiKey;
    return { origin, paths: { chat: `${basePath}/toy/generate` }, headers };
  },
  prepare(d, t, a) {
    const body = a.body as { messages?: Array<{ role?: string; content?: unknown }>; max_tokens?: unknown };
    const req: ToyRequest = {
      engine: d.upstreamModel,
      prompt_text: (body.messages ?? []).map((m) => `${m.role}: ${String(m.content)}`).join("\n"),
      max: typeof body.max_tokens === "number" ? body.max_tokens : null,
    };
    const path = a.stream
      ? (t.paths.chat as string).replace(/generate$/, "stream")
      : (t.paths.chat as string);
    return { path, headers: t.headers, body: JSON.stringify(req) };
  },
  decode(d, _a, raw) {
    const v = JSON.parse(raw.toString("utf8")) as {
      output?: { text?: unknown };
      counts?: ToyCounts;
      stop?: string;
    };
    if (typeof v.output?.text !== "string") throw new Error("a toy answer without output.text");
    const usage = v.counts ? usageOfCounts(v.counts) : undefined;
    const body = {
      id: `chatcmpl-toy-${Date.now()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: d.upstreamModel,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: v.output.text },
          finish_reason: STOP[v.stop ?? "done"] ?? "stop",
        },
      ],
      ...(usage ? { usage: usageJson(usage) } : {}),
    };
    return { body: Buffer.from(JSON.stringify(body)), usage };
  },
  stream(d) {
    return new ToyTranslator(d);
  },
  mapError(status, headers, body, what) {
    // The toy's error shape said in OpenAI's terms, then classified like any other upstream answer.
    let problem: string | undefined;
    try {
      problem = (JSON.parse(body.toString("utf8")) as { problem?: string }).problem;
    } catch {
      problem = undefined;
    }
    const openai = problem ? { error: { message: `${what}: ${problem}` } } : {};
    return failureFromResponse(status, headers, Buffer.from(JSON.stringify(openai)), what);
  },
};

function usageOfCounts(c: ToyCounts): Usage {
  return { prompt: c.in, completion: c.out, total: c.in + c.out };
}

/** Toy events → OpenAI chat.completion.chunks: the first piece carries the role, finish the reason. */
class ToyTranslator implements StreamTranslator {
  private readonly id = `chatcmpl-toy-${Math.random().toString(36).slice(2, 10)}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;

  constructor(private readonly d: Deployment) {}

  push(e: StreamEvent): TranslateStep {
    const v = JSON.parse(e.data) as { t?: string; stop?: string; counts?: ToyCounts; why?: string };
    if (e.event === "oops") return { error: oopsFailure(this.d, v.why ?? "unknown") };
    if (e.event === "piece") {
      const delta: Record<string, string> = { content: v.t ?? "" };
      if (!this.started) delta.role = "assistant";
      this.started = true;
      return { chunks: [this.chunk(delta, null)] };
    }
    if (e.event === "finish") {
      return {
        chunks: [this.chunk({}, STOP[v.stop ?? "done"] ?? "stop")],
        usage: v.counts ? usageOfCounts(v.counts) : undefined,
        done: true,
      };
    }
    return { chunks: [] }; // an event this version does not know: skipped, as SSE clients do
  }

  end() {
    return { chunks: [] };
  }

  private chunk(delta: object, finish: string | null): object {
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.d.upstreamModel,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  }
}

function oopsFailure(d: Deployment, why: string): AttemptFailure {
  return {
    kind: "server",
    status: 502,
    message: `deployment ${d.id} reported an error in its stream: ${why}`,
    type: "api_error",
    code: "upstream_error",
    param: null,
    retryAfterMs: undefined,
    passHeaders: undefined,
  };
}
