import { randomBytes } from "node:crypto";
import { invalidReply } from "../../upstream/reply-check.js";
import type { Usage } from "../../wire/usage.js";
import type { StreamEvent, StreamTranslator, TranslateStep } from "../contract.js";
import { googleErrorFailure } from "./errors.js";
import { finishOf, type GeminiResponse, readParts, usageOfMetadata } from "./response.js";

/**
 * streamGenerateContent?alt=sse -> OpenAI chat.completion.chunks, one upstream event at a time.
 * Each event is a whole GenerateContentResponse holding the next piece of text (or whole function
 * calls); the one with a finishReason (or a blocked prompt) ends the answer and carries the usage.
 * An `{"error": …}` event after the 200 is the upstream failing mid-stream.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  private readonly id = `chatcmpl-${randomBytes(12).toString("hex")}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private toolIndex = 0;
  private usage: Usage | undefined;

  constructor(
    private readonly model: string,
    private readonly what: string,
  ) {}

  push(e: StreamEvent): TranslateStep {
    let v: GeminiResponse & { error?: unknown };
    try {
      v = JSON.parse(e.data) as typeof v;
    } catch {
      return { error: invalidReply(this.what, "a stream event that is not JSON") };
    }
    if (v && typeof v === "object" && "error" in v) return { error: googleErrorFailure(v, 502, this.what) };
    if (v.usageMetadata) this.usage = usageOfMetadata(v.usageMetadata);
    const chunks: object[] = [];
    const c = v.candidates?.[0];
    const parts = readParts(c?.content?.parts);
    if (parts.content !== null || parts.reasoning !== undefined) {
      const delta: Record<string, unknown> = {};
      if (parts.reasoning !== undefined) delta.reasoning_content = parts.reasoning;
      if (parts.content !== null) delta.content = parts.content;
      chunks.push(this.chunk(delta, null));
    }
    if (parts.toolCalls.length > 0)
      chunks.push(
        this.chunk({ tool_calls: parts.toolCalls.map((t) => ({ index: this.toolIndex++, ...t })) }, null),
      );
    const blocked = !c && v.promptFeedback?.blockReason !== undefined;
    if (c?.finishReason || blocked) {
      const finish = blocked ? "content_filter" : finishOf(c?.finishReason, this.toolIndex > 0);
      chunks.push(this.chunk({}, finish));
      return { chunks, usage: this.usage, done: true };
    }
    return { chunks };
  }

  end() {
    return { chunks: [], usage: this.usage };
  }

  private chunk(delta: Record<string, unknown>, finish: string | null): object {
    if (!this.started) {
      delta.role = "assistant";
      this.started = true;
    }
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  }
}
