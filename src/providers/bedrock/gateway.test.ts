import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BedrockFake, FAKE_AWS } from "../../../test/fakes/bedrock.js";
import { get, type Harness, post, startHarness } from "../../../test/harness.js";
import { readChatStream } from "../../../test/sdk-stream.js";
import { parseEvents } from "../../wire/sse.js";

/**
 * `bedrock/<model>` end to end: the official openai SDK against the real gateway, fake Bedrock
 * runtimes (Converse JSON, binary ConverseStream frames, signatures verified) per region, each
 * counting its hits. Order tiers make the path deterministic: eu-a (an `eu.` profile called in
 * eu-central-1) first, then eu-b (eu-west-1). The `us.` profile and the `global.` profile (called
 * from an EU region: it looks regional, it is not) are tier 1 too and must never be asked on behalf
 * of the eu-pinned customer, whatever fails.
 */
const MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const creds = `aws_access_key_id: ${FAKE_AWS.accessKeyId}
      aws_secret_access_key: ${FAKE_AWS.secretAccessKey}`;
const YAML = `
model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/eu.${MODEL}
      aws_region_name: eu-central-1
      ${creds}
      api_base: {{a}}
      order: 1
    model_info: { id: br-eu-a }
  - model_name: claude
    litellm_params:
      model: bedrock/us.${MODEL}
      aws_region_name: us-east-1
      ${creds}
      api_base: {{us}}
      order: 1
    model_info: { id: br-us }
  - model_name: claude
    litellm_params:
      model: bedrock/global.anthropic.claude-sonnet-4-20250514-v1:0
      aws_region_name: eu-west-1
      ${creds}
      api_base: {{glob}}
      order: 1
    model_info: { id: br-global }
  - model_name: claude
    litellm_params:
      model: bedrock/eu.${MODEL}
      aws_region_name: eu-west-1
      ${creds}
      aws_bedrock_runtime_endpoint: {{b}}
      order: 2
    model_info: { id: br-eu-b }
  - model_name: claude-primary
    litellm_params:
      model: bedrock/${MODEL}
      aws_region_name: eu-central-1
      ${creds}
      api_base: {{p}}
    model_info: { id: br-primary }
  - model_name: claude-arn
    litellm_params:
      model: bedrock/arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.${MODEL}
      ${creds}
      aws_session_token: session/token+1
      api_base: {{p}}
    model_info: { id: br-arn }
  - model_name: claude-bad-secret
    litellm_params:
      model: bedrock/eu.${MODEL}
      aws_region_name: eu-central-1
      aws_access_key_id: ${FAKE_AWS.accessKeyId}
      aws_secret_access_key: not-the-secret
      api_base: {{p}}
    model_info: { id: br-bad }
  - model_name: "bedrock-eu/*"
    litellm_params:
      model: bedrock/*
      aws_region_name: eu-central-1
      ${creds}
      api_base: {{a}}
    model_info: { id: br-wild }
  - model_name: titan
    litellm_params:
      model: bedrock/amazon.titan-embed-text-v2:0
      aws_region_name: eu-central-1
      ${creds}
      api_base: {{a}}
  - model_name: cohere-embed
    litellm_params:
      model: bedrock/cohere.embed-multilingual-v3
      aws_region_name: eu-central-1
      ${creds}
      api_base: {{a}}
router_settings:
  num_retries: 2
  disable_cooldowns: true
  fallbacks: [{ claude-primary: [claude] }]
general_settings:
  master_key: sk-1234
`;

const fakes = {
  a: new BedrockFake("a", "eu-central-1"),
  b: new BedrockFake("b", "eu-west-1"),
  us: new BedrockFake("us", "us-east-1"),
  glob: new BedrockFake("glob", "eu-west-1"),
  p: new BedrockFake("p", "eu-central-1"),
};
const hits = () => [fakes.a.hits, fakes.b.hits, fakes.us.hits, fakes.glob.hits];
const ENCODED = `/model/eu.${MODEL.replace(":", "%3A")}`;

describe("bedrock through the gateway", () => {
  let h: Harness;
  let client: OpenAI;
  const user = "cust-eu";

  beforeAll(async () => {
    let yaml = YAML;
    for (const [k, f] of Object.entries(fakes)) yaml = yaml.replaceAll(`{{${k}}}`, (await f.start()).url);
    h = await startHarness({
      yaml,
      upstreams: [],
      env: { AWS_SESSION_TOKEN: "", AWS_REGION_NAME: "", AWS_REGION: "", AWS_BEDROCK_RUNTIME_ENDPOINT: "" },
    });
    const c = await post(`${h.url}/end_user/new`, { user_id: user, allowed_model_region: "eu" }, h.auth);
    expect(c.status).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
    for (const f of Object.values(fakes)) await f.stop();
  });
  beforeEach(() => {
    for (const f of Object.values(fakes)) f.reset();
  });

  const chat = (extra: Record<string, unknown> = {}, model = "claude") =>
    post(
      `${h.url}/v1/chat/completions`,
      { model, user, messages: [{ role: "user", content: "hi bedrock" }], ...extra },
      h.auth,
    );
  const streamText = (text: string) =>
    parseEvents(Buffer.from(text))
      .filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data))
      .map((c) => c.choices?.[0]?.delta?.content ?? "")
      .join("");

  it("/model/info: the eu. profile is eu, us. is us, global. is unassigned though called from eu-west-1", async () => {
    const r = await get(`${h.url}/model/info`, h.auth);
    const info = Object.fromEntries(
      (
        r.json.data as Array<{
          model_info: { id: string; geography: string | null; region_source: string; evidence: string };
        }>
      ).map((d) => [d.model_info.id, d.model_info]),
    );
    const geo = (id: string) => [info[id].geography, info[id].region_source];
    expect(geo("br-eu-a")).toEqual(["eu", "model"]);
    expect(geo("br-us")).toEqual(["us", "model"]);
    expect(geo("br-global")).toEqual([null, "model"]);
    expect(geo("br-primary")).toEqual(["eu", "aws_region_name"]);
    expect(geo("br-arn")).toEqual(["eu", "model"]);
    expect(info["br-eu-a"].evidence).toMatch(/inference profile "eu\." keeps processing in eu/);
    expect(info["br-global"].evidence).toMatch(/"global\." routes to any commercial AWS region/);
  });

  it("non-streaming via the openai SDK: a signed Converse request out, an OpenAI completion with usage back", async () => {
    const r = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi bedrock" },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ["END"],
    });
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0].message.content).toBe(fakes.a.text());
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    expect(hits()).toEqual([1, 0, 0, 0]);
    const sent = fakes.a.requests[0];
    expect(sent.signatureOk).toBe(true);
    expect(sent.path).toBe(`${ENCODED}/converse`);
    expect(sent.body).toEqual({
      messages: [{ role: "user", content: [{ text: "hi bedrock" }] }],
      system: [{ text: "be brief" }],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, stopSequences: ["END"] },
    });
  });

  it("streaming via the openai SDK: binary frames become chunks, finish_reason once, usage once", async () => {
    fakes.a.spacedMs = 2;
    const stream = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [{ role: "user", content: "hi bedrock" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finishes, usages } = await readChatStream(stream);
    expect(text).toBe(fakes.a.text());
    expect(finishes).toEqual(["stop"]);
    expect(usages).toEqual([{ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 }]);
    expect(fakes.a.requests[0].path).toBe(`${ENCODED}/converse-stream`);
    expect(fakes.a.requests[0].signatureOk).toBe(true);
    expect(hits()).toEqual([1, 0, 0, 0]);
  });

  const tools = [
    {
      type: "function" as const,
      function: {
        name: "get_weather",
        description: "weather by city",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    },
  ];

  it("tools: toolSpec out, tool_calls back (buffered and streamed), tool results go back as toolResult", async () => {
    const r = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [{ role: "user", content: "weather?" }],
      tools,
      tool_choice: "required",
    });
    expect(r.choices[0].finish_reason).toBe("tool_calls");
    expect(r.choices[0].message.tool_calls).toEqual([
      {
        id: "tooluse_fake1",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
    expect(fakes.a.requests[0].body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: "get_weather",
            description: "weather by city",
            inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } },
          },
        },
      ],
      toolChoice: { any: {} },
    });

    const s = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [{ role: "user", content: "weather?" }],
      tools,
      stream: true,
    });
    const args: string[] = [];
    let name: string | undefined;
    let finish: string | null = null;
    for await (const c of s) {
      for (const t of c.choices[0]?.delta.tool_calls ?? []) {
        expect(t.index).toBe(0);
        name ??= t.function?.name;
        if (t.function?.arguments) args.push(t.function.arguments);
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect([name, args.join(""), finish]).toEqual(["get_weather", '{"city":"Paris"}', "tool_calls"]);

    await client.chat.completions.create({
      model: "claude",
      user,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, tool_calls: r.choices[0].message.tool_calls },
        { role: "tool", tool_call_id: "tooluse_fake1", content: "sunny" },
      ],
    });
    expect(fakes.a.requests[2].body.messages).toEqual([
      { role: "user", content: [{ text: "weather?" }] },
      {
        role: "assistant",
        content: [{ toolUse: { toolUseId: "tooluse_fake1", name: "get_weather", input: { city: "Paris" } } }],
      },
      {
        role: "user",
        content: [{ toolResult: { toolUseId: "tooluse_fake1", content: [{ text: "sunny" }] } }],
      },
    ]);
  });

  it("JSON mode: the schema goes out as a forced tool, its call comes back as the content (buffered and streamed)", async () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const response_format = { type: "json_schema" as const, json_schema: { name: "place", schema } };
    const r = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [{ role: "user", content: "where?" }],
      response_format,
    });
    expect(r.choices[0].message.content).toBe('{"city":"Paris"}');
    expect(r.choices[0].message.tool_calls).toBeUndefined();
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(fakes.a.requests[0].body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: "json_tool_call",
            description: "Respond with a JSON object.",
            inputSchema: { json: schema },
          },
        },
      ],
      toolChoice: { tool: { name: "json_tool_call" } },
    });
    const s = await client.chat.completions.create({
      model: "claude",
      user,
      messages: [{ role: "user", content: "where?" }],
      response_format,
      stream: true,
    });
    let text = "";
    let finish: string | null = null;
    for await (const c of s) {
      expect(c.choices[0]?.delta.tool_calls).toBeUndefined();
      text += c.choices[0]?.delta.content ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(JSON.parse(text)).toEqual({ city: "Paris" });
    expect(finish).toBe("stop");
  });

  it("images: a data URL becomes an image block; an image by URL is refused before any byte is sent", async () => {
    const png = Buffer.from("fake png bytes").toString("base64");
    const ok = await chat({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    });
    expect(ok.status).toBe(200);
    expect(fakes.a.requests[0].body.messages).toEqual([
      {
        role: "user",
        content: [{ text: "what is this?" }, { image: { format: "png", source: { bytes: png } } }],
      },
    ]);
    const no = await chat({
      messages: [
        { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/x.png" } }] },
      ],
    });
    expect(no.status).toBe(400);
    expect(no.json.error.code).toBe("bedrock_input_unsupported");
    expect(hits()).toEqual([1, 0, 0, 0]);
  });

  for (const [name, fail] of [
    [
      "a 429 ThrottlingException",
      { kind: "status", status: 429, exception: "ThrottlingException", retryAfterSeconds: 0 },
    ],
    ["a 500 InternalServerException", { kind: "status", status: 500, exception: "InternalServerException" }],
    [
      "a 503 ServiceUnavailableException",
      { kind: "status", status: 503, exception: "ServiceUnavailableException" },
    ],
    ["a throttlingException frame", { kind: "exception-first", exception: "throttlingException" }],
    ["a frame with a bad CRC", { kind: "bad-crc", deltas: 0 }],
  ] as const) {
    it(`${name} before the first chunk falls over to the next eu deployment, never to us or global`, async () => {
      fakes.a.next(fail);
      const r = await chat({ stream: true });
      expect(r.status).toBe(200);
      expect(streamText(r.text)).toBe(fakes.b.text());
      expect(r.headers.get("x-litellm-model-id")).toBe("br-eu-b");
      expect(r.text.endsWith("data: [DONE]\n\n")).toBe(true);
      expect(hits()).toEqual([1, 1, 0, 0]);
      expect(fakes.b.requests[0].signatureOk).toBe(true);
    });
  }

  for (const [name, fail, code] of [
    [
      "a modelStreamErrorException",
      { kind: "exception-after", deltas: 2, exception: "modelStreamErrorException" },
      "upstream_error",
    ],
    ["a frame with a bad CRC", { kind: "bad-crc", deltas: 2 }, "upstream_invalid_response"],
    ["a body cut before metadata", { kind: "cut", deltas: 2 }, "upstream_invalid_response"],
  ] as const) {
    for (const spaced of [true, false]) {
      it(`${name} after content ends the committed stream with an error event (${spaced ? "frames apart" : "one chunk"})`, async () => {
        fakes.a.spacedMs = spaced ? 2 : undefined;
        fakes.a.next(fail);
        const r = await chat({ stream: true });
        expect(r.status).toBe(200);
        expect(r.text).not.toContain("[DONE]");
        const events = parseEvents(Buffer.from(r.text)).map((e) => JSON.parse(e.data));
        const last = events.at(-1);
        expect(Object.keys(last.error).sort()).toEqual(["code", "message", "param", "type"]);
        expect(last.error.code).toBe(code);
        expect(
          events
            .slice(0, -1)
            .map((c) => c.choices[0].delta.content ?? "")
            .join(""),
        ).toBe(fakes.a.text(2));
        expect(hits()).toEqual([1, 0, 0, 0]);
      });
    }
  }

  it("a ValidationException is the request's fault: 400 to the client, no retry, no other deployment", async () => {
    fakes.a.next({ kind: "status", status: 400, exception: "ValidationException" });
    const r = await chat();
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe("invalid_request_error");
    expect(r.json.error.message).toMatch(/ValidationException: fake a refuses/);
    expect(hits()).toEqual([1, 0, 0, 0]);
  });

  it("non-streaming, when every eu deployment fails, Bedrock's error reaches the client in the envelope", async () => {
    fakes.a.next({ kind: "status", status: 503, exception: "ServiceUnavailableException" }, 3);
    fakes.b.next({ kind: "status", status: 503, exception: "ServiceUnavailableException" }, 3);
    const r = await chat();
    expect(r.status).toBe(503);
    expect(Object.keys(r.json.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(r.json.error.message).toMatch(/ServiceUnavailableException: fake [ab] refuses/);
    expect([fakes.a.hits + fakes.b.hits, fakes.us.hits, fakes.glob.hits]).toEqual([3, 0, 0]);
  });

  it("fallbacks: a failing group falls back to the eu profile deployments, never to us or global", async () => {
    fakes.p.next({ kind: "status", status: 500, exception: "InternalServerException" }, 3);
    const r = await chat({}, "claude-primary");
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe(fakes.a.text());
    expect(fakes.p.hits).toBe(3);
    expect(hits()).toEqual([1, 0, 0, 0]);
  });

  it("an inference profile ARN: URL-encoded in the path, signed for the ARN's region, session token sent", async () => {
    const r = await chat({}, "claude-arn");
    expect(r.status).toBe(200);
    const sent = fakes.p.requests[0];
    expect(sent.signatureOk).toBe(true);
    expect(sent.path).toBe(
      `/model/${encodeURIComponent(`arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.${MODEL}`)}/converse`,
    );
    expect(sent.headers["x-amz-security-token"]).toBe("session/token+1");
  });

  it("a wildcard deployment (bedrock/*) sends the client's model, and refuses one that would process outside its geography", async () => {
    const ok = await chat({}, `bedrock-eu/eu.${MODEL}`);
    expect(ok.status).toBe(200);
    expect(fakes.a.requests[0].path).toBe(`${ENCODED}/converse`);
    for (const model of [`global.${MODEL}`, `us.${MODEL}`]) {
      const no = await chat({}, `bedrock-eu/${model}`);
      expect(no.status).toBe(400);
      expect(no.json.error.code).toBe("bedrock_input_unsupported");
    }
    expect(hits()).toEqual([1, 0, 0, 0]);
  });

  it("the fake really verifies signatures: a wrong secret is refused (403, auth), and never retried elsewhere", async () => {
    const r = await chat({}, "claude-bad-secret");
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/InvalidSignatureException/);
    expect(fakes.p.requests.map((q) => q.signatureOk)).toEqual([false]);
  });

  it("embeddings: Titan (float and base64 through the SDK) and Cohere (a list), via InvokeModel", async () => {
    const f = await post(
      `${h.url}/v1/embeddings`,
      { model: "titan", user, input: "hello there", dimensions: 4 },
      h.auth,
    );
    expect(f.status).toBe(200);
    expect(f.json.data).toEqual([{ object: "embedding", index: 0, embedding: [0.125, 0.25, 0.375, 0.5] }]);
    expect(f.json.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(fakes.a.requests[0].path).toBe("/model/amazon.titan-embed-text-v2%3A0/invoke");
    expect(fakes.a.requests[0].body).toEqual({ inputText: "hello there", dimensions: 4 });
    // The SDK asks for base64 by default and decodes the Float32 bytes itself.
    const sdk = await client.embeddings.create({ model: "titan", user, input: "hello there", dimensions: 4 });
    expect(sdk.data[0].embedding).toEqual([0.125, 0.25, 0.375, 0.5]);

    const c = await client.embeddings.create({
      model: "cohere-embed",
      user,
      input: ["one", "two"],
      encoding_format: "float",
    });
    expect(c.data.map((d) => d.embedding)).toEqual([
      [0, 0.5, -0.25],
      [1, 0.5, -0.25],
    ]);
    expect(fakes.a.requests[2].body).toEqual({ texts: ["one", "two"], input_type: "search_document" });
    expect(fakes.a.requests.every((q) => q.signatureOk)).toBe(true);

    const many = await post(`${h.url}/v1/embeddings`, { model: "titan", user, input: ["a", "b"] }, h.auth);
    expect(many.status).toBe(400);
    expect(many.json.error.code).toBe("bedrock_input_unsupported");
    expect(fakes.a.hits).toBe(3);
  });
});
