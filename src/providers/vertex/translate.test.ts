import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEvents } from "../../wire/sse.js";
import { AttemptRefused } from "../contract.js";
import { geminiEmbedRequest, toEmbeddingList, vertexEmbedRequest } from "./embeddings.js";
import { mapGoogleError } from "./errors.js";
import { toGenerateContent } from "./request.js";
import { toChatCompletion } from "./response.js";
import { GeminiStreamTranslator } from "./stream.js";

const FIX = join(import.meta.dirname, "fixtures");
const raw = (name: string) => readFileSync(join(FIX, name));
const json = (name: string) => JSON.parse(raw(name).toString("utf8"));

/** Run a recorded SSE body through the translator, event by event, as TranslatedStream does. */
function translate(name: string) {
  const t = new GeminiStreamTranslator("gemini-2.5-flash", "deployment v");
  const steps = parseEvents(raw(name)).map((e) => t.push(e));
  return { steps, end: t.end() };
}

describe("OpenAI chat request -> generateContent", () => {
  it("system hoisted, images inline and by URI, tool calls and results by name, tools cleaned, generationConfig", () => {
    expect(toGenerateContent(json("chat-request.openai.json"))).toEqual(json("chat-request.gemini.json"));
  });

  it("json_schema response_format becomes responseSchema without the keywords Gemini refuses", () => {
    const g = toGenerateContent({
      messages: [{ role: "user", content: "hi" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "x",
          schema: { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
        },
      },
    });
    expect(g.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { a: { type: "string" } } },
    });
  });

  it("deployment defaults fill what the client left out; the client's own value wins", () => {
    const g = toGenerateContent(
      { messages: [{ role: "user", content: "hi" }], temperature: 1 },
      { temperature: 0, max_tokens: 5 },
    );
    expect(g.generationConfig).toEqual({ temperature: 1, maxOutputTokens: 5 });
  });

  it("reasoning_effort becomes a thinking budget (thoughts returned as reasoning_content); none turns it off", () => {
    const g = (effort: string) =>
      toGenerateContent({ messages: [{ role: "user", content: "hi" }], reasoning_effort: effort })
        .generationConfig;
    expect(g("low")).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(g("none")).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(() => g("extreme")).toThrow(/reasoning_effort/);
  });

  it("Gemini's own safety_settings and cached_content pass through under Google's names", () => {
    const safety = [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ONLY_HIGH" }];
    const g = toGenerateContent({
      messages: [{ role: "user", content: "hi" }],
      safety_settings: safety,
      cached_content: "projects/p/locations/europe-west4/cachedContents/123",
    });
    expect(g.safetySettings).toEqual(safety);
    expect(g.cachedContent).toBe("projects/p/locations/europe-west4/cachedContents/123");
  });

  it("a system-only conversation becomes the user's turn (Gemini refuses empty contents)", () => {
    expect(toGenerateContent({ messages: [{ role: "system", content: "Say hi" }] })).toEqual({
      contents: [{ role: "user", parts: [{ text: "Say hi" }] }],
    });
  });

  it("a named tool_choice forces that function; an unknown role is refused", () => {
    const g = toGenerateContent({
      messages: [{ role: "user", content: "hi" }],
      tool_choice: { type: "function", function: { name: "f" } },
    });
    expect(g.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } });
    expect(() => toGenerateContent({ messages: [{ role: "wizard", content: "x" }] })).toThrow(/role/);
  });
});

describe("generateContent answer -> chat.completion", () => {
  it("text parts joined, usage with cached and reasoning tokens", () => {
    const { body, usage } = toChatCompletion(raw("generate-text.response.json"), "gemini-2.5-flash");
    const v = JSON.parse(body.toString("utf8"));
    expect(v.object).toBe("chat.completion");
    expect(v.choices).toEqual([
      { index: 0, message: { role: "assistant", content: "A cat. Sunny." }, finish_reason: "stop" },
    ]);
    expect(v.usage).toEqual({
      prompt_tokens: 1290,
      completion_tokens: 22,
      total_tokens: 1312,
      prompt_tokens_details: { cached_tokens: 1024 },
      completion_tokens_details: { reasoning_tokens: 18 },
    });
    expect(usage).toMatchObject({ prompt: 1290, completion: 22, total: 1312 });
  });

  it("function calls become tool_calls with ids and JSON arguments; finish_reason tool_calls", () => {
    const v = JSON.parse(toChatCompletion(raw("generate-tools.response.json"), "m").body.toString("utf8"));
    const m = v.choices[0].message;
    expect(v.choices[0].finish_reason).toBe("tool_calls");
    expect(m.content).toBeNull();
    expect(m.tool_calls.map((t: { function: unknown }) => t.function)).toEqual([
      { name: "get_weather", arguments: '{"city":"Paris"}' },
      { name: "get_weather", arguments: '{"city":"Berlin"}' },
    ]);
    expect(new Set(m.tool_calls.map((t: { id: string }) => t.id)).size).toBe(2);
  });

  it("a safety stop and a blocked prompt are content_filter", () => {
    const safety = JSON.parse(toChatCompletion(raw("generate-safety.response.json"), "m").body.toString());
    expect(safety.choices[0].finish_reason).toBe("content_filter");
    const blocked = JSON.parse(toChatCompletion(raw("prompt-blocked.response.json"), "m").body.toString());
    expect(blocked.choices).toEqual([
      { index: 0, message: { role: "assistant", content: null }, finish_reason: "content_filter" },
    ]);
  });

  it("a body that is not an answer throws (the caller makes it upstream_invalid_response)", () => {
    expect(() => toChatCompletion(Buffer.from('{"hello":1}'), "m")).toThrow();
    expect(() => toChatCompletion(Buffer.from("[]"), "m")).toThrow();
  });
});

describe("streamGenerateContent (SSE, CRLF framed) -> chunks", () => {
  it("text pieces one chunk each, role first, finish last with usage, done on the finishReason", () => {
    const { steps } = translate("stream-text.sse");
    const chunks = steps.flatMap((s) => ("chunks" in s ? s.chunks : [])) as Array<{
      choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>;
    }>;
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toBe("A cat. Sunny.");
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.filter((c) => c.choices[0].delta.role)).toHaveLength(1);
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe("stop");
    const last = steps.at(-1);
    expect(last && "done" in last && last.done).toBe(true);
    // the streamed usage chunk carries the cached tokens too (Usage.details)
    expect(last && "usage" in last && last.usage).toEqual({
      prompt: 1290,
      completion: 4,
      total: 1294,
      details: { prompt_tokens_details: { cached_tokens: 1024 } },
    });
    expect(steps.slice(0, -1).every((s) => !("done" in s))).toBe(true);
  });

  it("a function call arrives whole as a tool_calls delta; finish_reason tool_calls", () => {
    const { steps } = translate("stream-tools.sse");
    const chunks = steps.flatMap((s) => ("chunks" in s ? s.chunks : [])) as Array<{
      choices: Array<{ delta: { tool_calls?: unknown[] }; finish_reason: string | null }>;
    }>;
    expect(chunks[0].choices[0].delta.tool_calls).toEqual([
      expect.objectContaining({
        index: 0,
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      }),
    ]);
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("an error event after a 200 is the upstream failing, classed by its own code (503: retryable)", () => {
    const { steps } = translate("stream-error-midway.sse");
    expect("chunks" in steps[0]).toBe(true);
    const err = steps[1];
    expect("error" in err && err.error).toMatchObject({ kind: "server", status: 503 });
    expect("error" in err && err.error.message).toMatch(/overloaded/);
  });
});

describe("Google errors -> failures", () => {
  it("429 RESOURCE_EXHAUSTED is a rate limit with Google's message", () => {
    const f = mapGoogleError(429, { "retry-after": "2" }, raw("error-429.json"), "deployment v");
    expect(f).toMatchObject({
      kind: "rate_limit",
      status: 429,
      code: "upstream_rate_limited",
      retryAfterMs: 2000,
    });
    expect(f.message).toMatch(/Resource exhausted/);
  });

  it("an over-long prompt is context_length_exceeded (the request's fault)", () => {
    const f = mapGoogleError(400, {}, raw("error-400-context.json"), "deployment v");
    expect(f).toMatchObject({ kind: "context_window", status: 400, code: "context_length_exceeded" });
  });

  it("401 UNAUTHENTICATED blames the deployment's credentials; a non-JSON 500 keeps the generic message", () => {
    expect(mapGoogleError(401, {}, raw("error-401.json"), "d")).toMatchObject({
      kind: "auth",
      code: "upstream_auth_error",
    });
    const f = mapGoogleError(500, {}, Buffer.from("<html>oops</html>"), "deployment v");
    expect(f).toMatchObject({ kind: "server", status: 500 });
    expect(f.message).not.toMatch(/html/);
  });
});

describe("embeddings", () => {
  it("Vertex :predict request and answer, usage from the token counts", () => {
    expect(vertexEmbedRequest({ input: ["a", "b"], dimensions: 3 })).toEqual({
      instances: [{ content: "a" }, { content: "b" }],
      parameters: { outputDimensionality: 3 },
    });
    expect(vertexEmbedRequest({ input: "q", task_type: "RETRIEVAL_QUERY" })).toEqual({
      instances: [{ content: "q", task_type: "RETRIEVAL_QUERY" }],
    });
    const { body, usage } = toEmbeddingList(
      raw("predict-embeddings.response.json"),
      "text-embedding-005",
      "float",
    );
    const v = JSON.parse(body.toString("utf8"));
    expect(v.data.map((d: { embedding: number[] }) => d.embedding)).toEqual([
      [0.25, -0.5, 0.125],
      [0.5, 0.75, -1],
    ]);
    expect(v.usage).toEqual({ prompt_tokens: 10, total_tokens: 10 });
    expect(usage).toEqual({ prompt: 10, completion: 0, total: 10 });
  });

  it("AI Studio batchEmbedContents; base64 when asked is little-endian float32", () => {
    expect(geminiEmbedRequest({ input: "a" }, "gemini-embedding-001")).toEqual({
      requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] } }],
    });
    const v = JSON.parse(toEmbeddingList(raw("batch-embed.response.json"), "m", "base64").body.toString());
    const b = Buffer.from(v.data[1].embedding, "base64");
    expect([b.readFloatLE(0), b.readFloatLE(4), b.readFloatLE(8)]).toEqual([0.5, 0.75, -1]);
  });

  it("token-array input is refused as the request's fault before anything is sent", () => {
    try {
      vertexEmbedRequest({ input: [[1, 2, 3]] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AttemptRefused);
      expect((err as AttemptRefused).failure).toMatchObject({
        kind: "bad_request",
        status: 400,
        code: "untranslatable_request",
      });
    }
  });
});
