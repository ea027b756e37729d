import { describe, expect, it } from "vitest";
import { fixture } from "../../../test/fakes/anthropic.js";
import { parseConfigText } from "../../config/load.js";
import { sseDecoder, TranslatedStream } from "../../upstream/translated-stream.js";
import { parseEvents } from "../../wire/sse.js";
import { anthropicProvider } from "./index.js";
import { anthropicBody } from "./request.js";

const deployment = (params = "") =>
  parseConfigText(
    `model_list:\n  - model_name: claude\n    litellm_params: { model: anthropic/claude-sonnet-4-5-20250929, api_key: sk-ant-test${params} }\n`,
    "c.yaml",
    {},
  ).deployments[0];
const d = deployment();
const json = (name: string) => JSON.parse(fixture(name));
const attempt = (body: Record<string, unknown>, stream = false) => ({
  op: "chat" as const,
  body,
  stream,
  wantUsage: true,
});

describe("anthropic request translation", () => {
  it("tools, tool results, system hoisting, stop, tool_choice and user: as the recorded fixture", () => {
    const f = json("tools.request.json");
    expect(anthropicBody(d, f.openai, false)).toEqual(f.anthropic);
  });

  it("images: base64 data URLs and plain URLs", () => {
    const f = json("images.request.json");
    expect(anthropicBody(d, f.openai, false)).toEqual(f.anthropic);
  });

  it("max_tokens defaults to 4096; max_completion_tokens counts; the deployment's defaults fill in", () => {
    const msgs = [{ role: "user", content: "hi" }];
    expect(anthropicBody(d, { messages: msgs }, false).max_tokens).toBe(4096);
    expect(anthropicBody(d, { messages: msgs, max_completion_tokens: 7 }, false).max_tokens).toBe(7);
    const tuned = deployment(", max_tokens: 99, temperature: 0.5");
    expect(anthropicBody(tuned, { messages: msgs, temperature: 1 }, true)).toMatchObject({
      max_tokens: 99,
      temperature: 1,
      stream: true,
    });
  });

  it("JSON mode is a forced json_tool_call tool with the schema", () => {
    const b = anthropicBody(
      d,
      {
        messages: [{ role: "user", content: "Paris as JSON" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "city", schema: { properties: { city: { type: "string" } } } },
        },
      },
      false,
    );
    expect(b.tools).toEqual([
      { name: "json_tool_call", input_schema: { type: "object", properties: { city: { type: "string" } } } },
    ]);
    expect(b.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });
  });

  it("the deployment's inference_geo is always sent, and a client's own is overridden", () => {
    const us = deployment(", inference_geo: us");
    expect(us.geography).toBe("us");
    const b = anthropicBody(
      us,
      { messages: [{ role: "user", content: "hi" }], inference_geo: "global" },
      false,
    );
    expect(b.inference_geo).toBe("us");
    expect(anthropicBody(d, { messages: [] }, false).inference_geo).toBeUndefined();
  });

  it("headers: x-api-key and anthropic-version; api_base may be a host, end in /v1 or be the full URL", () => {
    const t = anthropicProvider.target(d);
    expect(t.origin).toBe("https://api.anthropic.com");
    expect(t.paths.chat).toBe("/v1/messages");
    expect(t.headers).toMatchObject({ "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" });
    for (const base of [
      "http://10.0.0.9:8080/proxy",
      "http://10.0.0.9:8080/proxy/v1",
      "http://10.0.0.9:8080/proxy/v1/messages",
    ])
      expect(anthropicProvider.target(deployment(`, api_base: "${base}"`)).paths.chat).toBe(
        "/proxy/v1/messages",
      );
  });
});

describe("anthropic response translation", () => {
  const decode = (file: string, body: Record<string, unknown> = { messages: [] }) => {
    const r = anthropicProvider.decode?.(d, attempt(body), Buffer.from(fixture(file)));
    if (!r) throw new Error("no decode");
    return { body: JSON.parse(r.body.toString()), usage: r.usage };
  };

  it("text: message, finish_reason stop, usage", () => {
    const { body } = decode("text.response.json");
    expect(body.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "Hello! How can I help you today?" },
        finish_reason: "stop",
      },
    ]);
    expect(body.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 });
    expect(body.object).toBe("chat.completion");
  });

  it("tools: tool_calls with JSON string arguments, finish_reason tool_calls", () => {
    const { body } = decode("tools.response.json");
    const m = body.choices[0].message;
    expect(m.content).toBe("I'll check the weather in Paris and Berlin.");
    expect(m.tool_calls).toEqual([
      {
        id: "toolu_01A09q90qw90lq917835lq9",
        type: "function",
        function: { name: "get_weather", arguments: '{"location":"Paris, France","unit":"celsius"}' },
      },
      {
        id: "toolu_01B18r81rx81mr826946mr8",
        type: "function",
        function: { name: "get_weather", arguments: '{"location":"Berlin, Germany","unit":"celsius"}' },
      },
    ]);
    expect(body.choices[0].finish_reason).toBe("tool_calls");
  });

  it("JSON mode: the tool's input is the content, finish_reason stop", () => {
    const { body } = decode("json-mode.response.json", {
      messages: [],
      response_format: { type: "json_object" },
    });
    expect(body.choices[0]).toEqual({
      index: 0,
      message: { role: "assistant", content: '{"city":"Paris","population":2102650}' },
      finish_reason: "stop",
    });
  });

  it("cache tokens count as prompt tokens and are reported apart; max_tokens is length", () => {
    const { body, usage } = decode("cache-usage.response.json");
    expect(body.usage).toEqual({
      prompt_tokens: 188107,
      completion_tokens: 393,
      total_tokens: 188500,
      prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 188086 },
      cache_creation_input_tokens: 188086,
      cache_read_input_tokens: 0,
    });
    expect(usage?.total).toBe(188500);
    expect(body.choices[0].finish_reason).toBe("length");
  });
});

describe("anthropic stream translation", () => {
  const run = (file: string, clientAsked = true) => {
    const s = new TranslatedStream(
      sseDecoder(),
      anthropicProvider.stream?.(d, attempt({}, true)) as never,
      clientAsked,
    );
    const text = s.take(Buffer.from(fixture(file))) + s.end();
    const events = parseEvents(Buffer.from(text));
    expect(events.at(-1)?.data).toBe("[DONE]");
    return { chunks: events.slice(0, -1).map((e) => JSON.parse(e.data)), usage: s.usage };
  };

  it("text deltas become content chunks; role first; finish then usage (cache read counted)", () => {
    const { chunks } = run("text.sse");
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "Hello" });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Hello, world!");
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).usage).toMatchObject({
      prompt_tokens: 2520,
      completion_tokens: 15,
      total_tokens: 2535,
    });
    expect(chunks.at(-1).usage.prompt_tokens_details.cached_tokens).toBe(2048);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["msg_014p7gG3wDgGV9EUtLvnow3U"]));
  });

  it("tool_use blocks become tool call deltas with index, id, name, then argument pieces", () => {
    const { chunks } = run("tools.sse", false);
    const calls = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    const args = (i: number) =>
      calls
        .filter((c) => c.index === i)
        .map((c) => c.function.arguments)
        .join("");
    expect(JSON.parse(args(0))).toEqual({ location: "San Francisco, CA", unit: "fahrenheit" });
    expect(calls.find((c) => c.index === 1)).toMatchObject({ id: "toolu_02U2y2gK45rBnl3UOUsO8Vq7" });
    expect(JSON.parse(args(1))).toEqual({ tz: "America/Los_Angeles" });
    expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls");
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
  });

  it("JSON mode streams the forced tool's input as content; thinking as reasoning_content", () => {
    const ev = (data: object) =>
      `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;
    const sse = [
      ev({
        type: "message_start",
        message: { id: "msg_j", model: "m", usage: { input_tokens: 5, output_tokens: 1 } },
      }),
      ev({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } }),
      ev({
        type: "content_block_delta",
        index: 0,
        delta: { type: "thinking_delta", thinking: "Paris is a city." },
      }),
      ev({
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "t", name: "json_tool_call", input: {} },
      }),
      ev({
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '{"city":' },
      }),
      ev({
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '"Paris"}' },
      }),
      ev({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } }),
      ev({ type: "message_stop" }),
    ].join("");
    const translator = anthropicProvider.stream?.(
      d,
      attempt({ response_format: { type: "json_object" } }, true),
    );
    const s = new TranslatedStream(sseDecoder(), translator as never, false);
    const events = parseEvents(Buffer.from(s.take(Buffer.from(sse)) + s.end()));
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toBe('{"city":"Paris"}');
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", reasoning_content: "Paris is a city." });
    expect(chunks.some((c) => c.choices[0].delta.tool_calls)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    expect(s.usage).toMatchObject({ prompt: 5, completion: 9, total: 14 });
  });

  it("an error event before any content fails the attempt before commit, as a retryable 503", () => {
    const s = new TranslatedStream(
      sseDecoder(),
      anthropicProvider.stream?.(d, attempt({}, true)) as never,
      false,
    );
    let thrown: unknown;
    try {
      s.take(Buffer.from(fixture("error-before-content.sse")));
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { failure: { kind: string; status: number; message: string } }).failure).toMatchObject({
      kind: "server",
      status: 503,
      message: expect.stringContaining("Overloaded"),
    });
  });

  it("an error event after content: the content is forwarded, then the error", () => {
    const s = new TranslatedStream(
      sseDecoder(),
      anthropicProvider.stream?.(d, attempt({}, true)) as never,
      false,
    );
    const out = s.take(Buffer.from(fixture("error-mid-stream.sse")));
    expect(out).toContain("Partial answer");
    expect(() => s.end()).toThrow(/Overloaded/);
  });
});

describe("anthropic errors", () => {
  const map = (status: number, file: string, headers = {}) =>
    anthropicProvider.mapError(status, headers, Buffer.from(fixture(file)), "deployment x");

  it("429 is a rate limit with Retry-After and the rate-limit headers under OpenAI's names", () => {
    const f = map(429, "error-429.json", { "retry-after": "7", "anthropic-ratelimit-tokens-remaining": "0" });
    expect(f).toMatchObject({
      kind: "rate_limit",
      status: 429,
      retryAfterMs: 7000,
      code: "upstream_rate_limited",
    });
    expect(f.passHeaders).toEqual({ "x-ratelimit-remaining-tokens": "0" });
    expect(f.message).toContain("rate limit");
  });

  it("529 overloaded is retryable like a 5xx and reaches clients as 503", () => {
    expect(map(529, "error-529.json")).toMatchObject({ kind: "server", status: 503 });
    expect(map(500, "error-500.json")).toMatchObject({ kind: "server", status: 500, code: "upstream_error" });
  });

  it("a prompt over the window is context_length_exceeded; a refused key is auth", () => {
    expect(map(400, "error-400-too-long.json")).toMatchObject({
      kind: "context_window",
      code: "context_length_exceeded",
    });
    expect(map(401, "error-401.json")).toMatchObject({ kind: "auth", code: "upstream_auth_error" });
  });
});
