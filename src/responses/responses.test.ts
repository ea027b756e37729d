import OpenAI, { APIError, AzureOpenAI } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, pinCustomers, post, startHarness } from "../../test/harness.js";

/**
 * The Responses API through the gateway with the official openai SDK, unmodified: create (JSON and
 * streamed), previous_response_id, retrieve, delete, input_items — for deployments that speak
 * /responses (OpenAI, Azure) and for one that only speaks chat (translated). A customer pinned to eu,
 * a fake upstream per region counting hits: nothing ever reaches the other region, and a follow-up on
 * a response held outside the caller's region is refused with no upstream call at all.
 */
const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream
      region_name: eu
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {{us}}/v1
      api_key: sk-us-upstream
      region_name: us
  - model_name: azure-us
    litellm_params:
      model: azure/gpt-4o-us
      api_base: {{us}}
      api_key: az-us-upstream
      api_version: "2024-10-21"
      region_name: us
  - model_name: chat-only
    litellm_params:
      model: openai/llama-3
      api_base: {{eu}}/v1
      use_chat_completions_api: true
      region_name: eu
  - model_name: chat-only
    litellm_params:
      model: openai/llama-3
      api_base: {{us}}/v1
      use_chat_completions_api: true
      region_name: us
router_settings:
  num_retries: 1
  retry_after: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`;

describe("Responses API through the gateway (openai SDK)", () => {
  let h: Harness;
  let client: OpenAI;
  const hits = () => ({ eu: h.upstreams.eu.hits, us: h.upstreams.us.hits });
  const paths = (label: "eu" | "us") => h.upstreams[label].requests.map((r) => `${r.method} ${r.url}`);

  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    await pinCustomers(h, { "cust-eu": "eu", "cust-us": "us" });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("responses.create: served in region from the upstream's /responses, usage and headers as for chat", async () => {
    const { data, response } = await client.responses
      .create({ model: "gpt-4o", input: "hi", user: "cust-eu" })
      .withResponse();
    expect(data.object).toBe("response");
    expect(data.output_text).toBe("Hello from eu");
    expect(data.usage?.input_tokens).toBe(10);
    expect(response.headers.get("x-litellm-model-region")).toBe("eu");
    expect(paths("eu")).toEqual(["POST /v1/responses"]);
    expect(h.upstreams.eu.requests[0].body).toMatchObject({ model: "gpt-4o", input: "hi" });
    // no chat-only stream option smuggled in
    expect(h.upstreams.eu.requests[0].body?.stream_options).toBeUndefined();
    expect(hits().us).toBe(0);
  });

  it("responses.create stream: typed events passed through, ending with response.completed", async () => {
    const types: string[] = [];
    let text = "";
    const stream = await client.responses.create({
      model: "gpt-4o",
      input: "hi",
      user: "cust-eu",
      stream: true,
    });
    let completedId = "";
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "response.output_text.delta") text += e.delta;
      if (e.type === "response.completed") completedId = e.response.id;
    }
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(types).toContain("response.output_text.done");
    expect(text).toBe("Hello from eu");
    expect(hits()).toEqual({ eu: 1, us: 0 });
    // the streamed response was remembered from its response.created event: a follow-up finds it
    const again = await client.responses.retrieve(completedId);
    expect(again.output_text).toBe("Hello from eu");
    expect(hits()).toEqual({ eu: 2, us: 0 });
  });

  it("a stream cut mid-way ends with a Responses error event, numbered after the upstream's last", async () => {
    // response.created, in_progress, output_item.added, content_part.added (0-3), then the cut
    h.upstreams.eu.next({ cutAfterChunks: 4, chunkIntervalMs: 10 });
    const r = await post(
      `${h.url}/v1/responses`,
      { model: "gpt-4o", input: "hi", user: "cust-eu", stream: true },
      h.auth,
    );
    expect(r.status).toBe(200);
    const events = r.text.trim().split("\n\n");
    expect(events).toHaveLength(5);
    expect(events[3]).toContain('"sequence_number":3');
    const last = events[4].split("\n");
    expect(last[0]).toBe("event: error");
    expect(JSON.parse(last[1].slice("data: ".length))).toEqual({
      type: "error",
      code: "upstream_connection_error",
      message: expect.stringContaining("after the stream had started"),
      param: null,
      sequence_number: 4,
    });
    expect(hits()).toEqual({ eu: 1, us: 0 }); // committed: not retried

    // the openai SDK throws an APIError carrying our code
    h.upstreams.eu.next({ cutAfterChunks: 5, chunkIntervalMs: 10 });
    const stream = await client.responses.create({
      model: "gpt-4o",
      input: "hi",
      user: "cust-eu",
      stream: true,
    });
    const types: string[] = [];
    const err = await (async () => {
      for await (const e of stream) types.push(e.type);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).code).toBe("upstream_connection_error");
    expect((err as APIError).message).toContain("after the stream had started");
    expect(types.at(-1)).toBe("response.output_text.delta");
  });

  it("previous_response_id goes to the deployment that holds it, every time, even for an unrestricted caller", async () => {
    const first = await client.responses.create({ model: "gpt-4o", input: "hi", user: "cust-eu" });
    for (let i = 0; i < 8; i++) {
      const next = await client.responses.create({
        model: "gpt-4o",
        input: "more",
        previous_response_id: first.id,
      });
      expect(next.output_text).toBe(`Hello from eu (after ${first.id})`);
    }
    expect(hits()).toEqual({ eu: 9, us: 0 });
  });

  it("retrieve, input_items, delete (then 404), cancel passed to the holder", async () => {
    const r = await client.responses.create({ model: "gpt-4o", input: "keep me", user: "cust-eu" });
    const got = await client.responses.retrieve(r.id);
    expect(got.id).toBe(r.id);
    const items = await client.responses.inputItems.list(r.id);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user" });
    const cancel = await client.responses.cancel(r.id).catch((e: unknown) => e);
    expect((cancel as APIError).status).toBe(400); // the upstream's own answer: not a background response
    await client.responses.delete(r.id);
    const gone = await client.responses.retrieve(r.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(APIError);
    expect((gone as APIError).status).toBe(404);
    expect((gone as APIError).code).toBe("response_not_found");
    // create, retrieve, input_items, cancel, delete reached eu; the retrieve after delete reached nobody
    expect(paths("eu")).toEqual([
      "POST /v1/responses",
      `GET /v1/responses/${r.id}`,
      `GET /v1/responses/${r.id}/input_items`,
      `POST /v1/responses/${r.id}/cancel`,
      `DELETE /v1/responses/${r.id}`,
    ]);
    expect(hits().us).toBe(0);
  });

  it("a follow-up on a response held outside the caller's region is 403 with zero upstream calls", async () => {
    const usResp = await client.responses.create({ model: "gpt-4o", input: "hi", user: "cust-us" });
    expect(hits()).toEqual({ eu: 0, us: 1 });
    h.upstreams.us.reset();
    const eu = { "x-litellm-end-user-id": "cust-eu" };
    const refused = [
      await client.responses.retrieve(usResp.id, {}, { headers: eu }).catch((e: unknown) => e),
      await client.responses.delete(usResp.id, { headers: eu }).catch((e: unknown) => e),
      await client.responses.inputItems.list(usResp.id, {}, { headers: eu }).catch((e: unknown) => e),
      await client.responses
        .create({ model: "gpt-4o", input: "more", previous_response_id: usResp.id, user: "cust-eu" })
        .catch((e: unknown) => e),
    ];
    for (const e of refused) {
      expect(e).toBeInstanceOf(APIError);
      expect((e as APIError).status).toBe(403);
      expect((e as APIError).code).toBe("response_region_forbidden");
      expect((e as APIError).message).toContain('region "us"');
    }
    expect(hits()).toEqual({ eu: 0, us: 0 });
    // and the response is still there for a caller who may reach it
    expect((await client.responses.retrieve(usResp.id)).id).toBe(usResp.id);
  });

  it("an unknown id is 404 in OpenAI's shape, with no upstream call", async () => {
    const r = await get(`${h.url}/v1/responses/resp_nobody`, h.auth);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      error: {
        message: "Response with id 'resp_nobody' not found.",
        type: "invalid_request_error",
        param: null,
        code: "response_not_found",
      },
    });
    const p = await post(
      `${h.url}/v1/responses`,
      { model: "gpt-4o", input: "x", previous_response_id: "resp_nobody" },
      h.auth,
    );
    expect(p.status).toBe(404);
    expect(hits()).toEqual({ eu: 0, us: 0 });
  });

  it("a follow-up's retries stay on its deployment (no fallback, even with another in region)", async () => {
    const r = await client.responses.create({ model: "gpt-4o", input: "hi", user: "cust-eu" });
    h.upstreams.eu.next({ status: 500 });
    const got = await client.responses.retrieve(r.id);
    expect(got.id).toBe(r.id);
    expect(hits()).toEqual({ eu: 3, us: 0 });
    h.upstreams.eu.next({ status: 500 }, 2);
    const failed = await client.responses.retrieve(r.id).catch((e: unknown) => e);
    expect((failed as APIError).status).toBe(500);
    expect(hits()).toEqual({ eu: 5, us: 0 });
  });

  it("Azure: {api_base}/openai/responses with an api-version that has it; follow-ups there too", async () => {
    const r = await client.responses.create({ model: "azure-us", input: "hi" });
    expect(r.output_text).toBe("Hello from us");
    await client.responses.retrieve(r.id);
    expect(paths("us")).toEqual([
      "POST /openai/responses?api-version=2025-03-01-preview",
      `GET /openai/responses/${r.id}?api-version=2025-03-01-preview`,
    ]);
    expect(h.upstreams.us.requests[0].headers["api-key"]).toBe("az-us-upstream");
  });

  it("the AzureOpenAI client's responses calls reach the gateway's Azure-style routes", async () => {
    const azure = new AzureOpenAI({
      endpoint: h.url,
      apiKey: "sk-1234",
      apiVersion: "2025-03-01-preview",
      maxRetries: 0,
    });
    const r = await azure.responses.create({ model: "gpt-4o", input: "hi", user: "cust-eu" });
    expect(r.output_text).toBe("Hello from eu");
    expect((await azure.responses.retrieve(r.id)).id).toBe(r.id);
    expect(hits()).toEqual({ eu: 2, us: 0 });
  });

  it("every route form reaches the same operation", async () => {
    for (const path of ["/responses", "/v1/responses", "/openai/responses", "/openai/v1/responses"]) {
      const r = await post(`${h.url}${path}`, { model: "gpt-4o", input: "hi", user: "cust-eu" }, h.auth);
      expect(r.status, path).toBe(200);
      expect(r.json.object).toBe("response");
    }
    const az = await post(
      `${h.url}/openai/deployments/gpt-4o/responses`,
      { input: "hi", user: "cust-eu" },
      h.auth,
    );
    expect(az.status).toBe(200);
    const wrong = await fetch(`${h.url}/v1/responses/resp_x/cancel`, { method: "GET", headers: h.auth });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(hits()).toEqual({ eu: 5, us: 0 });
  });
});

describe("Responses API translated to chat completions (use_chat_completions_api)", () => {
  let h: Harness;
  let client: OpenAI;
  const hits = () => ({ eu: h.upstreams.eu.hits, us: h.upstreams.us.hits });

  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    expect(
      (await post(`${h.url}/end_user/new`, { user_id: "cust-eu", allowed_model_region: "eu" }, h.auth))
        .status,
    ).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("create: instructions and input become chat messages; the answer a response with usage", async () => {
    const r = await client.responses.create({
      model: "chat-only",
      instructions: "be brief",
      input: "hi",
      max_output_tokens: 50,
      user: "cust-eu",
    });
    expect(r.object).toBe("response");
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe("Hello from eu");
    expect(r.usage).toMatchObject({ input_tokens: 10, output_tokens: 5, total_tokens: 15 });
    const sent = h.upstreams.eu.requests[0];
    expect(sent.url).toBe("/v1/chat/completions");
    expect(sent.body).toMatchObject({
      model: "llama-3",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      max_tokens: 50,
    });
    expect(hits().us).toBe(0);
  });

  it("previous_response_id: Meridian keeps the conversation and sends it with the next turn", async () => {
    const first = await client.responses.create({ model: "chat-only", input: "hi", user: "cust-eu" });
    const second = await client.responses.create({
      model: "chat-only",
      input: [{ role: "user", content: "and then?" }],
      previous_response_id: first.id,
      instructions: "new instructions",
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(h.upstreams.eu.requests[1].body?.messages).toEqual([
      { role: "system", content: "new instructions" },
      { role: "user", content: "hi" },
      { role: "assistant", content: "Hello from eu" },
      { role: "user", content: "and then?" },
    ]);
    expect(hits()).toEqual({ eu: 2, us: 0 });
  });

  it("retrieve, input_items and delete answer from Meridian's store, with no upstream call", async () => {
    const r = await client.responses.create({ model: "chat-only", input: "remember", user: "cust-eu" });
    h.upstreams.eu.reset();
    const got = await client.responses.retrieve(r.id);
    expect(got).toMatchObject({ id: r.id, status: "completed" });
    expect(got.output_text).toBe("Hello from eu");
    const items = await client.responses.inputItems.list(r.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "remember" }],
    });
    const cancel = await client.responses.cancel(r.id).catch((e: unknown) => e);
    expect((cancel as APIError).code).toBe("response_not_cancellable");
    await client.responses.delete(r.id);
    expect(((await client.responses.retrieve(r.id).catch((e: unknown) => e)) as APIError).status).toBe(404);
    expect(hits()).toEqual({ eu: 0, us: 0 });
  });

  it("stream: chat chunks become the typed Responses events the SDK assembles", async () => {
    const stream = client.responses.stream({ model: "chat-only", input: "hi", user: "cust-eu" });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("Hello from eu part 1 part 2");
    expect(final.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    // remembered before response.completed was sent: retrievable at once
    expect((await client.responses.retrieve(final.id)).output_text).toBe("Hello from eu part 1 part 2");
    expect(hits().us).toBe(0);
  });

  it("stream: a chat stream cut mid-way ends with a Responses error event, numbered after the last sent", async () => {
    // the role chunk and "Hello from eu", then the cut: created, in_progress, output_item.added,
    // content_part.added, output_text.delta (0-4), then the error
    h.upstreams.eu.next({ cutAfterChunks: 2, chunkIntervalMs: 10 });
    const r = await post(
      `${h.url}/v1/responses`,
      { model: "chat-only", input: "hi", user: "cust-eu", stream: true },
      h.auth,
    );
    expect(r.status).toBe(200);
    const events = r.text.trim().split("\n\n");
    expect(events).toHaveLength(6);
    expect(events[4]).toContain('"sequence_number":4');
    const last = events[5].split("\n");
    expect(last[0]).toBe("event: error");
    expect(JSON.parse(last[1].slice("data: ".length))).toEqual({
      type: "error",
      code: "upstream_connection_error",
      message: expect.stringContaining("after the stream had started"),
      param: null,
      sequence_number: 5,
    });

    h.upstreams.eu.next({ cutAfterChunks: 2, chunkIntervalMs: 10 });
    const stream = client.responses.stream({ model: "chat-only", input: "hi", user: "cust-eu" });
    let text = "";
    const err = await (async () => {
      for await (const e of stream) if (e.type === "response.output_text.delta") text += e.delta;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).code).toBe("upstream_connection_error");
    expect(text).toBe("Hello from eu");
    expect(hits()).toEqual({ eu: 2, us: 0 });
  });

  it("function tools: definitions, the call, and its output on the next turn", async () => {
    const toolCall = {
      id: "chatcmpl-tool",
      object: "chat.completion",
      created: 0,
      model: "llama-3",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "call_1",
                type: "function",
                function: { name: "weather", arguments: '{"city":"Paris"}' },
              },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 },
    };
    h.upstreams.eu.next({ raw: { body: JSON.stringify(toolCall), contentType: "application/json" } });
    const tools = [
      {
        type: "function" as const,
        name: "weather",
        description: "weather in a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        strict: true,
      },
    ];
    const r = await client.responses.create({
      model: "chat-only",
      input: "weather in Paris?",
      tools,
      tool_choice: "required",
      user: "cust-eu",
    });
    expect(r.output).toEqual([
      expect.objectContaining({
        type: "function_call",
        call_id: "call_1",
        name: "weather",
        arguments: '{"city":"Paris"}',
      }),
    ]);
    expect(h.upstreams.eu.requests[0].body).toMatchObject({
      tools: [
        { type: "function", function: { name: "weather", parameters: tools[0].parameters, strict: true } },
      ],
      tool_choice: "required",
    });
    await client.responses.create({
      model: "chat-only",
      previous_response_id: r.id,
      input: [{ type: "function_call_output", call_id: "call_1", output: "sunny" }],
      tools,
    });
    expect(h.upstreams.eu.requests[1].body?.messages).toEqual([
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ]);
  });

  it("text.format json_schema becomes response_format", async () => {
    await client.responses.create({
      model: "chat-only",
      input: "a person",
      text: {
        format: {
          type: "json_schema",
          name: "person",
          schema: { type: "object", properties: { name: { type: "string" } } },
          strict: true,
        },
      },
      user: "cust-eu",
    });
    expect(h.upstreams.eu.requests[0].body?.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "person",
        schema: { type: "object", properties: { name: { type: "string" } } },
        strict: true,
      },
    });
  });
});
