import type { Deployment } from "../../router/deployment.js";
import type { StreamEvent, StreamTranslator, TranslateStep } from "../contract.js";
import { streamErrorFailure } from "./errors.js";
import { finishReason } from "./finish.js";
import { JSON_TOOL } from "./request.js";
import { type AnthropicUsage, mergeUsage, usageFromAnthropic } from "./usage.js";

interface EventData {
  type?: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    thinking?: string;
    stop_reason?: string | null;
  };
  usage?: AnthropicUsage;
}

const NOTHING: TranslateStep = { chunks: [] };

/**
 * Messages API stream events -> OpenAI chat.completion.chunks, one event at a time. Nothing is sent
 * for message_start: the first chunk goes out with the first content, so an error event right after
 * the 200 can still fall over to another deployment (nothing was committed).
 */
export class AnthropicTranslator implements StreamTranslator {
  private readonly created = Math.floor(Date.now() / 1000);
  private id = "chatcmpl-anthropic";
  private model: string;
  private usage: AnthropicUsage = {};
  private roleSent = false;
  /** Content block index -> OpenAI tool call index (OpenAI counts tool calls, not blocks). */
  private readonly tools = new Map<number, number>();
  /** Blocks that carry JSON mode's answer: their input is the content. */
  private readonly jsonBlocks = new Set<number>();

  constructor(
    private readonly d: Deployment,
    private readonly jsonMode: boolean,
  ) {
    this.model = d.upstreamModel;
  }

  push(e: StreamEvent): TranslateStep {
    if (e.event === "error") return { error: streamErrorFailure(e.data, this.what()) };
    const v = JSON.parse(e.data) as EventData;
    switch (v.type ?? e.event) {
      case "message_start":
        this.id = v.message?.id ?? this.id;
        this.model = v.message?.model ?? this.model;
        this.usage = mergeUsage(this.usage, v.message?.usage);
        return NOTHING;
      case "content_block_start":
        return this.blockStart(v.index ?? 0, v.content_block ?? {});
      case "content_block_delta":
        return this.blockDelta(v.index ?? 0, v.delta ?? {});
      case "message_delta": {
        this.usage = mergeUsage(this.usage, v.usage);
        const json = this.jsonBlocks.size > 0 && this.tools.size === 0;
        return { chunks: [this.chunk({}, finishReason(v.delta?.stop_reason, json))] };
      }
      case "message_stop":
        return { chunks: [], usage: usageFromAnthropic(this.usage), done: true };
      case "error":
        return { error: streamErrorFailure(e.data, this.what()) };
      default:
        return NOTHING; // ping, content_block_stop, and events this version does not know
    }
  }

  end() {
    return { chunks: [] };
  }

  private blockStart(index: number, block: NonNullable<EventData["content_block"]>): TranslateStep {
    if (block.type === "tool_use") {
      if (this.jsonMode && block.name === JSON_TOOL) {
        this.jsonBlocks.add(index);
        return NOTHING;
      }
      const n = this.tools.size;
      this.tools.set(index, n);
      const call = {
        index: n,
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: "" },
      };
      return { chunks: [this.chunk({ tool_calls: [call] }, null)] };
    }
    if (block.type === "text" && block.text) return { chunks: [this.chunk({ content: block.text }, null)] };
    return NOTHING;
  }

  private blockDelta(index: number, delta: NonNullable<EventData["delta"]>): TranslateStep {
    if (delta.type === "text_delta") return { chunks: [this.chunk({ content: delta.text ?? "" }, null)] };
    if (delta.type === "thinking_delta")
      return { chunks: [this.chunk({ reasoning_content: delta.thinking ?? "" }, null)] };
    if (delta.type === "input_json_delta") {
      const part = delta.partial_json ?? "";
      if (this.jsonBlocks.has(index)) return { chunks: [this.chunk({ content: part }, null)] };
      const n = this.tools.get(index);
      if (n === undefined) return NOTHING;
      return { chunks: [this.chunk({ tool_calls: [{ index: n, function: { arguments: part } }] }, null)] };
    }
    return NOTHING; // signature_delta, citations_delta
  }

  private chunk(delta: Record<string, unknown>, finish: string | null): object {
    if (!this.roleSent) {
      delta = { role: "assistant", ...delta };
      this.roleSent = true;
    }
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  }

  private what(): string {
    return `deployment ${this.d.id} (${this.d.modelGroup})`;
  }
}
