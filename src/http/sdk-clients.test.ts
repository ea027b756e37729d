import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { CLIENTS_SKIP_REASON, CLIENTS_YAML, NODE_MAJOR } from "../../test/clients.js";
import { type Harness, post, startHarness } from "../../test/harness.js";

/**
 * Client libraries at their newest majors, unmodified, against the gateway over chat completions:
 * the Vercel AI SDK 7 (`openai.chat`, `azure.chat` on Azure's v1 URLs), `@openai/agents` on its chat
 * completions model, LangChain's ChatOpenAI. A customer pinned to eu; every group also has a us
 * deployment, whose fake upstream must see nothing. Their default providers call /v1/responses:
 * see sdk-clients-responses.test.ts.
 */
const CUSTOMER = { "x-litellm-customer-id": "cust-eu" };

/** One chat completion answer in OpenAI's wire format, as the eu upstream's next reply. */
function chatAnswer(message: Record<string, unknown>, finish = "stop") {
  return {
    raw: {
      contentType: "application/json",
      body: JSON.stringify({
        id: "chatcmpl-scripted",
        object: "chat.completion",
        created: 1,
        model: "gpt-4o",
        choices: [
          { index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: finish },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }),
    },
  };
}

const weatherCall = (args: string) =>
  chatAnswer(
    {
      tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: args } }],
    },
    "tool_calls",
  );

describe.skipIf(NODE_MAJOR < 22)(`client libraries over chat completions ${CLIENTS_SKIP_REASON}`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: CLIENTS_YAML });
    const c = await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth);
    expect(c.status).toBe(200);
  });
  afterAll(async () => h?.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  async function aiSdk() {
    const ai = await import("ai");
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { createAzure } = await import("@ai-sdk/azure");
    const openai = createOpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", headers: CUSTOMER });
    // @ai-sdk/azure 4 with a baseURL outside *.openai.azure.com calls {baseURL}{path}, api-key header:
    // the gateway is given as {gateway}/openai/v1, Azure's v1 URL style.
    const azure = createAzure({ baseURL: `${h.url}/openai/v1`, apiKey: "sk-1234", headers: CUSTOMER });
    return { ai, openai, azure };
  }

  it("AI SDK generateText with openai.chat and azure.chat (Azure's /openai/v1 URL style)", async () => {
    const { ai, openai, azure } = await aiSdk();
    const r = await ai.generateText({ model: openai.chat("gpt-4o"), prompt: "hi", maxRetries: 0 });
    expect(r.text).toBe("Hello from eu");
    expect(r.response.headers?.["x-litellm-model-region"]).toBe("eu");
    const a = await ai.generateText({ model: azure.chat("gpt-4o-azure"), prompt: "hi", maxRetries: 0 });
    expect(a.text).toBe("Hello from eu");
    const urls = h.upstreams.eu.requests.map((q) => q.url);
    expect(urls).toEqual(["/v1/chat/completions", "/openai/v1/chat/completions"]);
    expect(h.upstreams.eu.requests[1].body?.model).toBe("gpt-4o-eu");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("AI SDK streamText", async () => {
    const { ai, openai, azure } = await aiSdk();
    for (const model of [openai.chat("gpt-4o"), azure.chat("gpt-4o-azure")]) {
      const r = ai.streamText({ model, prompt: "hi", maxRetries: 0 });
      let text = "";
      for await (const t of r.textStream) text += t;
      expect(text).toBe("Hello from eu part 1 part 2");
      expect((await r.usage).totalTokens).toBe(15);
    }
    expect(h.upstreams.eu.hits).toBe(2);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("AI SDK tools: the call, its result sent back, the final answer — all in eu", async () => {
    const { ai, openai } = await aiSdk();
    h.upstreams.eu
      .next(weatherCall('{"city":"Paris"}'))
      .next(chatAnswer({ content: "It is sunny in Paris." }));
    const seen: string[] = [];
    const r = await ai.generateText({
      model: openai.chat("gpt-4o"),
      prompt: "weather in Paris?",
      maxRetries: 0,
      stopWhen: ai.stepCountIs(3),
      tools: {
        weather: ai.tool({
          description: "weather for a city",
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            seen.push(city);
            return { city, sky: "sunny" };
          },
        }),
      },
    });
    expect(seen).toEqual(["Paris"]);
    expect(r.text).toBe("It is sunny in Paris.");
    const second = h.upstreams.eu.requests[1].body?.messages as Array<Record<string, unknown>>;
    expect(second.some((m) => m.role === "tool" && m.tool_call_id === "call_1")).toBe(true);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("AI SDK generateObject (structured output)", async () => {
    const { ai, openai } = await aiSdk();
    h.upstreams.eu.next(chatAnswer({ content: '{"name":"Ada","age":36}' }));
    const r = await ai.generateObject({
      model: openai.chat("gpt-4o"),
      schema: z.object({ name: z.string(), age: z.number() }),
      prompt: "a person",
      maxRetries: 0,
    });
    expect(r.object).toEqual({ name: "Ada", age: 36 });
    const fmt = h.upstreams.eu.requests[0].body?.response_format as { type?: string };
    expect(fmt.type).toBe("json_schema");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("@openai/agents run() on its chat completions model, with a tool", async () => {
    const agents = await import("@openai/agents");
    agents.setTracingDisabled(true); // never export traces anywhere
    const provider = new agents.OpenAIProvider({
      apiKey: "sk-1234",
      baseURL: `${h.url}/v1`,
      useResponses: false,
    });
    const runner = new agents.Runner({ modelProvider: provider, tracingDisabled: true });
    h.upstreams.eu.next(weatherCall('{"city":"Oslo"}')).next(chatAnswer({ content: "Snow in Oslo." }));
    const agent = new agents.Agent({
      name: "assistant",
      instructions: "be brief",
      model: "gpt-4o",
      modelSettings: { providerData: { user: "cust-eu" } },
      tools: [
        agents.tool({
          name: "weather",
          description: "weather for a city",
          parameters: z.object({ city: z.string() }),
          execute: async ({ city }) => `snow in ${city}`,
        }),
      ],
    });
    const r = await runner.run(agent, "weather in Oslo?");
    expect(r.finalOutput).toBe("Snow in Oslo.");
    expect(h.upstreams.eu.requests.map((q) => q.url)).toEqual([
      "/v1/chat/completions",
      "/v1/chat/completions",
    ]);
    expect(h.upstreams.eu.requests[0].body?.user).toBe("cust-eu");
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("LangChain ChatOpenAI: invoke and stream", async () => {
    const { ChatOpenAI } = await import("@langchain/openai");
    const llm = new ChatOpenAI({
      model: "gpt-4o",
      apiKey: "sk-1234",
      maxRetries: 0,
      configuration: { baseURL: `${h.url}/v1`, defaultHeaders: CUSTOMER },
    });
    const r = await llm.invoke("hi");
    expect(r.content).toBe("Hello from eu");
    let text = "";
    for await (const chunk of await llm.stream("hi")) text += String(chunk.content);
    expect(text).toBe("Hello from eu part 1 part 2");
    expect(h.upstreams.eu.hits).toBe(2);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("a residency refusal reaches each library as an error, with zero us calls", async () => {
    await post(`${h.url}/end_user/new`, { user_id: "cust-ch", allowed_model_region: "ch" }, h.auth);
    const ai = await import("ai");
    const { createOpenAI } = await import("@ai-sdk/openai");
    const ch = createOpenAI({
      baseURL: `${h.url}/v1`,
      apiKey: "sk-1234",
      headers: { "x-litellm-customer-id": "cust-ch" },
    });
    const err = await ai
      .generateText({ model: ch.chat("gpt-4o"), prompt: "hi", maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(String((err as { responseBody?: string }).responseBody)).toContain("no_deployment_in_region");
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);
  });
});
