import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText, jsonSchema, streamText, tool } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { responsesYaml } from "../../test/responses-config.js";

/**
 * The Vercel AI SDK's default OpenAI provider talks to /v1/responses: generateText, streamText,
 * tools and generateObject against a deployment with /responses (passthrough) and one that only
 * speaks chat (translated), for a customer pinned to eu — the us upstream is never asked.
 */
const YAML = responsesYaml({ chatOnlyInUs: true, numRetries: 0 });

const chatAnswer = (message: Record<string, unknown>, finish: string) =>
  JSON.stringify({
    id: "chatcmpl-x",
    object: "chat.completion",
    created: 0,
    model: "llama-3",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
  });

describe("Vercel AI SDK default (Responses) provider against the gateway", () => {
  let h: Harness;
  let gateway: ReturnType<typeof createOpenAI>;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth);
    gateway = createOpenAI({
      baseURL: `${h.url}/v1`,
      apiKey: "sk-1234",
      headers: { "x-litellm-customer-id": "cust-eu" },
    });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  for (const model of ["gpt-4o", "chat-only"]) {
    it(`generateText and streamText (${model})`, async () => {
      const g = await generateText({ model: gateway(model), prompt: "hi", maxRetries: 0 });
      expect(g.text).toBe("Hello from eu");
      expect(g.usage.inputTokens).toBe(10);
      const s = streamText({ model: gateway(model), prompt: "hi", maxRetries: 0 });
      let text = "";
      for await (const t of s.textStream) text += t;
      expect(text).toBe(model === "gpt-4o" ? "Hello from eu" : "Hello from eu part 1 part 2");
      expect((await s.usage).outputTokens).toBe(5);
      expect(h.upstreams.eu.requests.map((r) => r.url)).toEqual(
        Array(2).fill(model === "gpt-4o" ? "/v1/responses" : "/v1/chat/completions"),
      );
      expect(h.upstreams.us.hits).toBe(0);
    });
  }

  for (const [model, cut, sent] of [
    ["gpt-4o", 5, "Hello"],
    ["chat-only", 2, "Hello from eu"],
  ] as const) {
    it(`streamText: a stream cut mid-way yields an error part carrying our code (${model})`, async () => {
      h.upstreams.eu.next({ cutAfterChunks: cut, chunkIntervalMs: 10 });
      const s = streamText({ model: gateway(model), prompt: "hi", maxRetries: 0, onError: () => {} });
      let text = "";
      const errors: unknown[] = [];
      for await (const part of s.fullStream) {
        if (part.type === "text-delta") text += part.text;
        if (part.type === "error") errors.push(part.error);
      }
      expect(text).toBe(sent);
      expect(errors).toHaveLength(1);
      // the gateway's error event as the Responses schema reads it (was AI_TypeValidationError: a
      // chat-style `{"error": …}` chunk the schema cannot parse)
      expect(errors[0]).toMatchObject({
        name: "AI_StreamProviderError",
        code: "upstream_connection_error",
        message: expect.stringContaining("after the stream had started"),
        data: { type: "error", code: "upstream_connection_error", param: null },
      });
      expect(await s.finishReason).toBe("error");
    });
  }

  it("tools on a chat-only deployment: the tool call comes back, its result goes out next turn", async () => {
    h.upstreams.eu
      .next({
        raw: {
          body: chatAnswer(
            {
              content: null,
              tool_calls: [
                {
                  id: "call_9",
                  type: "function",
                  function: { name: "weather", arguments: '{"city":"Oslo"}' },
                },
              ],
            },
            "tool_calls",
          ),
          contentType: "application/json",
        },
      })
      .next({
        raw: {
          body: chatAnswer({ content: "It is sunny in Oslo." }, "stop"),
          contentType: "application/json",
        },
      });
    const r = await generateText({
      model: gateway("chat-only"),
      prompt: "weather in Oslo?",
      maxRetries: 0,
      tools: {
        weather: tool({
          description: "weather in a city",
          inputSchema: jsonSchema<{ city: string }>({
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          }),
          execute: async ({ city }) => `sunny in ${city}`,
        }),
      },
      stopWhen: ({ steps }) => steps.length >= 2,
    });
    expect(r.steps[0].toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: "Oslo" } });
    expect(r.text).toBe("It is sunny in Oslo.");
    const second = h.upstreams.eu.requests[1].body?.messages as Array<Record<string, unknown>>;
    expect(second.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_9" });
    expect(String(second.at(-1)?.content)).toContain("sunny in Oslo");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("streamText with a tool on a chat-only deployment: streamed call arguments become a tool call", async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama-3", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const sse =
      chunk({ role: "assistant", content: null }, null) +
      chunk(
        {
          tool_calls: [
            { index: 0, id: "call_s", type: "function", function: { name: "weather", arguments: "" } },
          ],
        },
        null,
      ) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Rome"}' } }] }, null) +
      chunk({}, "tool_calls") +
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "llama-3", choices: [], usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } })}\n\n` +
      "data: [DONE]\n\n";
    h.upstreams.eu.next({ raw: { body: sse, contentType: "text/event-stream" } });
    const s = streamText({
      model: gateway("chat-only"),
      prompt: "weather in Rome?",
      maxRetries: 0,
      tools: {
        weather: tool({
          inputSchema: jsonSchema<{ city: string }>({
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          }),
        }),
      },
    });
    const calls = await s.toolCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ toolName: "weather", toolCallId: "call_s", input: { city: "Rome" } });
    expect((await s.usage).inputTokens).toBe(9);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("generateObject on a chat-only deployment: json_schema carried, the object parsed", async () => {
    h.upstreams.eu.next({
      raw: {
        body: chatAnswer({ content: '{"name":"Ada","age":36}' }, "stop"),
        contentType: "application/json",
      },
    });
    const r = await generateObject({
      model: gateway("chat-only"),
      prompt: "a person",
      maxRetries: 0,
      schema: jsonSchema<{ name: string; age: number }>({
        type: "object",
        properties: { name: { type: "string" }, age: { type: "number" } },
        required: ["name", "age"],
        additionalProperties: false,
      }),
    });
    expect(r.object).toEqual({ name: "Ada", age: 36 });
    expect(h.upstreams.eu.requests[0].body?.response_format).toMatchObject({ type: "json_schema" });
    expect(h.upstreams.us.hits).toBe(0);
  });
});
