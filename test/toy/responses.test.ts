import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../harness.js";
import { ToyFake } from "./fake.js";
import { TOY_PREFIX, toyProvider } from "./provider.js";

/**
 * The Responses API on a translating provider that knows nothing of it (the toy speaks only its own
 * chat-like format): the gateway's Responses <-> chat layer sits over the chat operation, so any
 * translating provider (Anthropic, Bedrock, Vertex as they land) serves /v1/responses for free.
 */
const YAML = `
model_list:
  - model_name: toy-chat
    litellm_params:
      model: toy/toy-1
      api_base: {{a}}
      region_name: eu
    model_info: { id: toy-a }
  - model_name: toy-chat
    litellm_params:
      model: toy/toy-1
      api_base: {{us}}
      region_name: us
    model_info: { id: toy-us }
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
`;

const fakes = { a: new ToyFake("a"), us: new ToyFake("us") };
const piecesOf = (f: ToyFake, n = 3) => Array.from({ length: n }, (_, i) => f.piece(i)).join("");

describe("Responses API on a translating provider (toy)", () => {
  let h: Harness;
  let client: OpenAI;
  const user = "cust-eu";

  beforeAll(async () => {
    let yaml = YAML;
    for (const [k, f] of Object.entries(fakes)) yaml = yaml.replaceAll(`{{${k}}}`, (await f.start()).url);
    h = await startHarness({ yaml, upstreams: [], providers: { [TOY_PREFIX]: toyProvider } });
    expect(
      (await post(`${h.url}/end_user/new`, { user_id: user, allowed_model_region: "eu" }, h.auth)).status,
    ).toBe(200);
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
    for (const f of Object.values(fakes)) await f.stop();
  });
  beforeEach(() => {
    for (const f of Object.values(fakes)) f.reset();
  });

  it("create, JSON and streamed, with usage; the follow-up continues the conversation; never us", async () => {
    const r = await client.responses.create({ model: "toy-chat", input: "hi toy", user });
    expect(r.output_text).toBe(piecesOf(fakes.a));
    expect(r.usage).toMatchObject({ input_tokens: 7, output_tokens: 3, total_tokens: 10 });
    expect(fakes.a.requests[0].body).toMatchObject({ engine: "toy-1", prompt_text: "user: hi toy" });

    const stream = client.responses.stream({
      model: "toy-chat",
      input: "again",
      previous_response_id: r.id,
      user,
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(piecesOf(fakes.a));
    expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 3 });
    expect(fakes.a.requests[1].body.prompt_text).toBe(
      `user: hi toy\nassistant: ${piecesOf(fakes.a)}\nuser: again`,
    );
    expect(fakes.us.hits).toBe(0);
  });
});
