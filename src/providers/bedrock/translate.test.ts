import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../router/deployment.js";
import { eventStreamDecoder } from "../../upstream/eventstream.js";
import { StreamErrorEvent, TranslatedStream } from "../../upstream/translated-stream.js";
import { parseEvents } from "../../wire/sse.js";
import { AttemptRefused } from "../contract.js";
import { mapBedrockError, streamException } from "./errors.js";
import { converseRequest } from "./request.js";
import { chatCompletion } from "./response.js";
import { ConverseTranslator } from "./stream.js";

/** Hand-written fixtures from the Converse API reference, translated without a network. */
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

const d = {
  id: "br-1",
  modelGroup: "claude",
  provider: "bedrock",
  upstreamModel: "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
  requestDefaults: undefined,
} as unknown as Deployment;

describe("OpenAI chat -> Converse request", () => {
  it("system/developer hoisted, image bytes, tool calls and results, consecutive user turns merged, inferenceConfig, toolConfig", () => {
    expect(converseRequest(d, fixture("chat-request.openai.json"))).toEqual(
      fixture("chat-request.converse.json"),
    );
  });

  it("deployment defaults fill what the client left out; tool_choice none sends no tools", () => {
    const withDefaults = { ...d, requestDefaults: { max_tokens: 64, temperature: 0.5 } } as Deployment;
    const r = converseRequest(withDefaults, {
      messages: [{ role: "user", content: "hi" }],
      temperature: 1,
      tools: [{ type: "function", function: { name: "f" } }],
      tool_choice: "none",
    });
    expect(r).toEqual({
      messages: [{ role: "user", content: [{ text: "hi" }] }],
      inferenceConfig: { maxTokens: 64, temperature: 1 },
    });
  });

  it("an image by URL is refused (400, the request's fault), never fetched", () => {
    let thrown: unknown;
    try {
      converseRequest(d, {
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "https://x.test/a.png" } }] },
        ],
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AttemptRefused);
    expect((thrown as AttemptRefused).failure).toMatchObject({
      status: 400,
      kind: "bad_request",
      code: "bedrock_input_unsupported",
    });
  });
});

describe("Converse answer -> OpenAI chat.completion", () => {
  it("text and toolUse blocks, tool_use -> tool_calls, usage with cache reads in prompt_tokens", () => {
    const out = chatCompletion(
      Buffer.from(JSON.stringify(fixture("converse-response.tool.json"))),
      d.upstreamModel,
    );
    const { id, created, ...body } = out.body as { id: string; created: number };
    expect(id).toMatch(/^chatcmpl-/);
    expect(typeof created).toBe("number");
    expect(body).toEqual(fixture("converse-response.tool.openai.json"));
    expect(out.usage).toEqual({ prompt: 1412, completion: 58, total: 1470 });
  });

  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["guardrail_intervened", "content_filter"],
    ["content_filtered", "content_filter"],
  ])("stopReason %s -> finish_reason %s", (stopReason, finish) => {
    const raw = { output: { message: { role: "assistant", content: [{ text: "x" }] } }, stopReason };
    const out = chatCompletion(Buffer.from(JSON.stringify(raw)), "m").body as {
      choices: Array<{ finish_reason: string }>;
    };
    expect(out.choices[0].finish_reason).toBe(finish);
  });

  it("a body that is not a Converse answer throws (the call site makes it upstream_invalid_response)", () => {
    expect(() => chatCompletion(Buffer.from('{"message":"hi"}'), "m")).toThrow(/output\.message\.content/);
  });
});

describe("ConverseStream events -> OpenAI chunks", () => {
  it("text deltas, a tool call's start and input deltas, the stop reason, usage on the final event", () => {
    const f = fixture("converse-stream.tool.events.json");
    const t = new ConverseTranslator(d, "deployment br-1");
    const chunks: Array<{ choices: Array<{ delta: object; finish_reason: string | null }> }> = [];
    let usage: unknown;
    let done = false;
    for (const [event, payload] of f.events) {
      const step = t.push({ event, data: JSON.stringify(payload) });
      if ("error" in step) throw new Error("unexpected error");
      chunks.push(...(step.chunks as typeof chunks));
      usage ??= step.usage;
      done ||= step.done === true;
    }
    expect(chunks.map((c) => c.choices[0].delta)).toEqual(f.deltas);
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual(f.finish);
    expect(usage).toEqual(f.usage);
    expect(done).toBe(true);
  });

  it("the recorded binary stream (.bin, frames with their CRCs) through the decoder and translator, as the gateway reads it", () => {
    const f = fixture("converse-stream.tool.events.json");
    const bin = readFileSync(join(import.meta.dirname, "fixtures", "converse-stream.tool.bin"));
    const ts = new TranslatedStream(eventStreamDecoder(), new ConverseTranslator(d, "deployment br-1"), true);
    // In two uneven pieces: a frame is cut across them.
    const text = ts.take(bin.subarray(0, 333)) + ts.take(bin.subarray(333)) + ts.end();
    const events = parseEvents(Buffer.from(text));
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.slice(0, -1).map((c) => c.choices[0].delta)).toEqual(f.deltas);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 412, completion_tokens: 58, total_tokens: 470 },
    });
  });

  it("the same stream with one bad CRC: what came before is delivered, then upstream_invalid_response", () => {
    const bin = readFileSync(join(import.meta.dirname, "fixtures", "converse-stream.bad-crc.bin"));
    const ts = new TranslatedStream(
      eventStreamDecoder(),
      new ConverseTranslator(d, "deployment br-1"),
      false,
      "deployment br-1",
    );
    const before = ts.take(bin);
    expect(parseEvents(Buffer.from(before)).map((e) => JSON.parse(e.data).choices[0].delta.content)).toEqual([
      "Let me",
    ]);
    let thrown: unknown;
    try {
      ts.end();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StreamErrorEvent);
    expect((thrown as StreamErrorEvent).failure).toMatchObject({
      code: "upstream_invalid_response",
      status: 502,
    });
  });

  it("messageStart alone sends nothing: an exception right after it can still fall over", () => {
    const t = new ConverseTranslator(d, "deployment br-1");
    expect(t.push({ event: "messageStart", data: '{"role":"assistant"}' })).toEqual({ chunks: [] });
    const step = t.push({ event: "exception:throttlingException", data: '{"message":"slow"}' });
    expect("error" in step && step.error.kind).toBe("rate_limit");
  });
});

describe("Bedrock errors -> OpenAI failures", () => {
  const table = fixture("errors.json");
  for (const e of table.http) {
    it(`HTTP ${e.status} ${e.type} -> ${e.client} (${e.kind})`, () => {
      const f = mapBedrockError(
        e.status,
        { "x-amzn-errortype": `${e.type}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
        Buffer.from(JSON.stringify({ message: e.message })),
        "deployment br-1",
      );
      expect([f.status, f.kind]).toEqual([e.client, e.kind]);
      expect(f.message).toBe(`deployment br-1: ${e.type}: ${e.message}`);
    });
  }
  for (const e of table.stream) {
    it(`exception frame ${e.exception} -> ${e.client} (${e.kind})`, () => {
      const f = streamException(e.exception, '{"message":"m"}', "deployment br-1");
      expect([f.status, f.kind]).toEqual([e.client, e.kind]);
    });
  }
  it("a non-JSON error body keeps the generic message, never the upstream's bytes", () => {
    const f = mapBedrockError(502, {}, Buffer.from("<html>bad gateway</html>"), "deployment br-1");
    expect(f.message).not.toContain("html");
  });
});
