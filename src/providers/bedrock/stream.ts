import type { Deployment } from "../../router/deployment.js";
import type { Usage } from "../../wire/usage.js";
import type { StreamEvent, StreamTranslator, TranslateStep } from "../contract.js";
import { streamException } from "./errors.js";
import { JSON_TOOL } from "./request.js";
import { type ConverseUsage, finishReason, usageOf } from "./response.js";

/**
 * ConverseStream events → OpenAI chat.completion.chunks, one event at a time:
 * `messageStart` (role), `contentBlockStart` (a tool call's id and name), `contentBlockDelta` (text,
 * tool input JSON, reasoning), `contentBlockStop`, `messageStop` (stop reason), `metadata` (usage,
 * the final event). The role rides on the first chunk that has content, so a stream that fails
 * right after `messageStart` has not committed yet and can still fall over.
 */
export class ConverseTranslator implements StreamTranslator {
  private readonly id = `chatcmpl-${crypto.randomUUID()}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private roleSent = false;
  /** contentBlockIndex → index among this answer's tool calls (OpenAI numbers tool calls apart). */
  private readonly toolIndex = new Map<number, number>();
  /** The content block carrying JSON mode's tool call: its input is streamed as content. */
  private jsonBlock: number | undefined;

  constructor(
    private readonly d: Deployment,
    private readonly what: string,
    private readonly jsonMode = false,
  ) {}

  push(e: StreamEvent): TranslateStep {
    const type = e.event ?? "";
    if (type.startsWith("exception:") || type.startsWith("error:"))
      return { error: streamException(type.slice(type.indexOf(":") + 1), e.data, this.what) };
    const v = JSON.parse(e.data) as Record<string, unknown>;
    const block = typeof v.contentBlockIndex === "number" ? v.contentBlockIndex : 0;
    switch (type) {
      case "contentBlockStart": {
        const tool = (v.start as { toolUse?: { toolUseId?: string; name?: string } } | undefined)?.toolUse;
        if (!tool) return { chunks: [] };
        if (this.jsonMode && tool.name === JSON_TOOL) {
          this.jsonBlock = block;
          return { chunks: [] };
        }
        const index = this.toolIndex.size;
        this.toolIndex.set(block, index);
        return {
          chunks: [
            this.chunk({
              tool_calls: [
                { index, id: tool.toolUseId, type: "function", function: { name: tool.name, arguments: "" } },
              ],
            }),
          ],
        };
      }
      case "contentBlockDelta": {
        const delta = (v.delta ?? {}) as {
          text?: string;
          toolUse?: { input?: string };
          reasoningContent?: { text?: string };
        };
        if (typeof delta.text === "string") return { chunks: [this.chunk({ content: delta.text })] };
        if (typeof delta.toolUse?.input === "string" && block === this.jsonBlock)
          return { chunks: [this.chunk({ content: delta.toolUse.input })] };
        if (typeof delta.toolUse?.input === "string") {
          const index = this.toolIndex.get(block) ?? 0;
          return {
            chunks: [this.chunk({ tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] })],
          };
        }
        if (typeof delta.reasoningContent?.text === "string")
          return { chunks: [this.chunk({ reasoning_content: delta.reasoningContent.text })] };
        return { chunks: [] };
      }
      case "messageStop": {
        const jsonOnly = this.jsonMode && this.toolIndex.size === 0;
        return { chunks: [this.chunk({}, jsonOnly ? "stop" : finishReason(v.stopReason))] };
      }
      case "metadata": {
        const u = v.usage as ConverseUsage | undefined;
        const usage: Usage | undefined = usageOf(u);
        return { chunks: [], usage, done: true };
      }
      default:
        // messageStart, contentBlockStop, and event types this version does not know: nothing to say.
        return { chunks: [] };
    }
  }

  end() {
    return { chunks: [] };
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): object {
    if (!this.roleSent) {
      delta = { role: "assistant", ...delta };
      this.roleSent = true;
    }
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.d.upstreamModel,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  }
}
