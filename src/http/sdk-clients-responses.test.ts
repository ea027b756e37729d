import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { CLIENTS_SKIP_REASON, CLIENTS_YAML, NODE_MAJOR } from "../../test/clients.js";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { matchProxyPath } from "./routes.js";

/**
 * The client libraries' DEFAULT providers, which call POST /v1/responses: the AI SDK's `openai(...)`
 * and `azure(...)`, `@openai/agents` run() as it comes, LangChain's `useResponsesApi`. They run once
 * the Responses route exists (branch `responses`); until then they skip, saying why. The upstream's
 * answers are scripted in OpenAI's Responses wire format, so they do not depend on any fake's text.
 */
const ROUTED = matchProxyPath("/v1/responses") !== undefined;
const REASON = !ROUTED
  ? "(skipped: POST /v1/responses is not routed on this branch yet; it lands with branch `responses`)"
  : CLIENTS_SKIP_REASON;

const CUSTOMER = { "x-litellm-customer-id": "cust-eu" };
const USAGE = {
  input_tokens: 10,
  output_tokens: 5,
  total_tokens: 15,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens_details: { reasoning_tokens: 0 },
};

function response(output: unknown[], id = "resp_scripted") {
  return {
    id,
    object: "response",
    created_at: 1,
    status: "completed",
    model: "gpt-4o",
    output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    usage: USAGE,
  };
}

const message = (text: string) => ({
  type: "message",
  id: "msg_1",
  status: "completed",
  role: "assistant",
  content: [{ type: "output_text", text, annotations: [] }],
});

const answer = (output: unknown[], id?: string) => ({
  raw: { contentType: "application/json", body: JSON.stringify(response(output, id)) },
});

const call = (name: string, args: string) =>
  answer([
    { type: "function_call", id: "fc_1", call_id: "call_1", name, arguments: args, status: "completed" },
  ]);

/** A Responses event stream: created, one text delta per piece, the item done, completed. */
function streamed(pieces: string[]) {
  const events: Array<[string, unknown]> = [];
  let seq = 0;
  const base = { ...response([]), status: "in_progress", usage: null };
  events.push(["response.created", { type: "response.created", sequence_number: seq++, response: base }]);
  const item = { type: "message", id: "msg_1", status: "in_progress", role: "assistant", content: [] };
  events.push([
    "response.output_item.added",
    { type: "response.output_item.added", sequence_number: seq++, output_index: 0, item },
  ]);
  for (const delta of pieces)
    events.push([
      "response.output_text.delta",
      {
        type: "response.output_text.delta",
        sequence_number: seq++,
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      },
    ]);
  const done = message(pieces.join(""));
  events.push([
    "response.output_item.done",
    { type: "response.output_item.done", sequence_number: seq++, output_index: 0, item: done },
  ]);
  events.push([
    "response.completed",
    { type: "response.completed", sequence_number: seq++, response: response([done]) },
  ]);
  const body = events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");
  return { raw: { contentType: "text/event-stream", body } };
}

describe.skipIf(!ROUTED || NODE_MAJOR < 22)(
  `client libraries' default providers (/v1/responses) ${REASON}`,
  () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ yaml: CLIENTS_YAML });
      await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth);
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
      const azure = createAzure({ baseURL: `${h.url}/openai/v1`, apiKey: "sk-1234", headers: CUSTOMER });
      return { ai, openai, azure };
    }

    it("AI SDK default openai(...) and azure(...): generateText", async () => {
      const { ai, openai, azure } = await aiSdk();
      h.upstreams.eu.next(answer([message("Bonjour")])).next(answer([message("Hallo")]));
      expect((await ai.generateText({ model: openai("gpt-4o"), prompt: "hi", maxRetries: 0 })).text).toBe(
        "Bonjour",
      );
      expect(
        (await ai.generateText({ model: azure("gpt-4o-azure"), prompt: "hi", maxRetries: 0 })).text,
      ).toBe("Hallo");
      expect(h.upstreams.eu.requests.map((q) => q.url)).toEqual(["/v1/responses", "/openai/v1/responses"]);
      expect(h.upstreams.us.hits).toBe(0);
    });

    it("AI SDK default openai(...): streamText", async () => {
      const { ai, openai } = await aiSdk();
      h.upstreams.eu.next(streamed(["Hello", " from", " eu"]));
      const r = ai.streamText({ model: openai("gpt-4o"), prompt: "hi", maxRetries: 0 });
      let text = "";
      for await (const t of r.textStream) text += t;
      expect(text).toBe("Hello from eu");
      expect(h.upstreams.us.hits).toBe(0);
    });

    it("AI SDK default openai(...): tools and generateObject", async () => {
      const { ai, openai } = await aiSdk();
      h.upstreams.eu.next(call("weather", '{"city":"Paris"}')).next(answer([message("Sunny.")]));
      const r = await ai.generateText({
        model: openai("gpt-4o"),
        prompt: "weather?",
        maxRetries: 0,
        stopWhen: ai.stepCountIs(3),
        tools: {
          weather: ai.tool({
            inputSchema: z.object({ city: z.string() }),
            execute: async ({ city }) => ({ city, sky: "sunny" }),
          }),
        },
      });
      expect(r.text).toBe("Sunny.");
      h.upstreams.eu.next(answer([message('{"name":"Ada","age":36}')]));
      const o = await ai.generateObject({
        model: openai("gpt-4o"),
        schema: z.object({ name: z.string(), age: z.number() }),
        prompt: "a person",
        maxRetries: 0,
      });
      expect(o.object).toEqual({ name: "Ada", age: 36 });
      expect(h.upstreams.eu.hits).toBe(3);
      expect(h.upstreams.us.hits).toBe(0);
    });

    it("@openai/agents default run()", async () => {
      const agents = await import("@openai/agents");
      agents.setTracingDisabled(true);
      const provider = new agents.OpenAIProvider({ apiKey: "sk-1234", baseURL: `${h.url}/v1` });
      const runner = new agents.Runner({ modelProvider: provider, tracingDisabled: true });
      h.upstreams.eu.next(answer([message("Hej.")]));
      const agent = new agents.Agent({
        name: "assistant",
        model: "gpt-4o",
        modelSettings: { providerData: { user: "cust-eu" } },
      });
      const r = await runner.run(agent, "hi");
      expect(r.finalOutput).toBe("Hej.");
      expect(h.upstreams.eu.requests[0].url).toBe("/v1/responses");
      expect(h.upstreams.us.hits).toBe(0);
    });

    it("LangChain ChatOpenAI with useResponsesApi", async () => {
      const { ChatOpenAI } = await import("@langchain/openai");
      const llm = new ChatOpenAI({
        model: "gpt-4o",
        apiKey: "sk-1234",
        maxRetries: 0,
        useResponsesApi: true,
        configuration: { baseURL: `${h.url}/v1`, defaultHeaders: CUSTOMER },
      });
      h.upstreams.eu.next(answer([message("Ciao.")]));
      const r = await llm.invoke("hi");
      expect(r.text).toBe("Ciao.");
      expect(h.upstreams.eu.requests[0].url).toBe("/v1/responses");
      expect(h.upstreams.us.hits).toBe(0);
    });
  },
);
