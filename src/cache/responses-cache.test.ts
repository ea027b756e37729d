import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, pinCustomers, startHarness } from "../../test/harness.js";

/**
 * The Responses API in the response cache, through the official openai SDK: a repeated create is
 * served from the cache as JSON or as the event stream OpenAI sends; a streamed answer is stored
 * once it completed; a customer of another region never receives it; the served id continues.
 */
const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-eu, region_name: eu }
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{us}}/v1", api_key: sk-us, region_name: us }
router_settings:
  num_retries: 0
general_settings:
  master_key: sk-1234
litellm_settings:
  cache: true
  cache_params: { type: local, ttl: 600 }
`;

type Events = Array<{ type: string; [k: string]: unknown }>;

describe("response cache: the Responses API", () => {
  let h: Harness;
  let client: OpenAI;
  let n = 0;
  const fresh = () => `q${++n}-${Math.random()}`;
  const hits = () => ({ eu: h.upstreams.eu.hits, us: h.upstreams.us.hits });
  const streamed = async (input: string, user: string) => {
    const s = await client.responses.create({ model: "gpt-4o", input, user, stream: true }).withResponse();
    const events: Events = [];
    for await (const e of s.data) events.push(e as unknown as Events[number]);
    return { events, headers: s.response.headers };
  };

  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
    await pinCustomers(h, { "c-eu": "eu", "c-us": "us" });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-1234", maxRetries: 0 });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("a repeated create is a hit: the same Response, no upstream call, the producing region", async () => {
    const input = fresh();
    const a = await client.responses.create({ model: "gpt-4o", input, user: "c-eu" }).withResponse();
    expect(a.response.headers.get("x-meridian-cache")).toBe("miss");
    const b = await client.responses.create({ model: "gpt-4o", input, user: "c-eu" }).withResponse();
    expect(b.response.headers.get("x-meridian-cache")).toBe("hit");
    expect(b.response.headers.get("x-litellm-model-region")).toBe("eu");
    expect(b.data).toEqual(a.data);
    expect(b.data.output_text).toBe("Hello from eu");
    expect(hits()).toEqual({ eu: 1, us: 0 });
  });

  it("a hit on a streaming create replays OpenAI's events, in the order and shape the upstream sends them", async () => {
    const input = fresh();
    // what the upstream itself streams for a request (a miss), and then the replay of a stored answer
    const live = await streamed(input, "c-eu");
    expect(live.headers.get("x-meridian-cache")).toBe("miss");
    const replay = await streamed(input, "c-eu");
    expect(replay.headers.get("x-meridian-cache")).toBe("hit");
    expect(hits()).toEqual({ eu: 1, us: 0 });
    const shape = (ev: Events) => ev.map((e) => e.type).filter((t) => t !== "response.output_text.delta");
    expect(shape(replay.events)).toEqual(shape(live.events));
    expect(replay.events.map((e) => e.sequence_number)).toEqual(replay.events.map((_, i) => i));
    const text = (ev: Events) =>
      ev
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join("");
    expect(text(replay.events)).toBe(text(live.events));
    const last = (ev: Events) => ev[ev.length - 1];
    expect(last(replay.events)).toMatchObject({ type: "response.completed" });
    expect(last(replay.events).response).toEqual(last(live.events).response);
    // and the stored stream serves a JSON create too
    const whole = await client.responses.create({ model: "gpt-4o", input, user: "c-eu" }).withResponse();
    expect(whole.response.headers.get("x-meridian-cache")).toBe("hit");
    expect(whole.data.output_text).toBe(text(live.events));
    expect(hits()).toEqual({ eu: 1, us: 0 });
  });

  it("a customer of another region gets its own answer from its own region, never the cached one", async () => {
    const input = fresh();
    await client.responses.create({ model: "gpt-4o", input, user: "c-eu" });
    const us = await client.responses.create({ model: "gpt-4o", input, user: "c-us" }).withResponse();
    expect(us.response.headers.get("x-meridian-cache")).toBe("miss");
    expect(us.data.output_text).toBe("Hello from us");
    expect(hits()).toEqual({ eu: 1, us: 1 });
  });

  it("the id of a cached Response continues: previous_response_id goes to the deployment that holds it", async () => {
    const input = fresh();
    const first = await client.responses.create({ model: "gpt-4o", input, user: "c-eu" });
    const again = await client.responses.create({ model: "gpt-4o", input, user: "c-eu" });
    expect(again.id).toBe(first.id);
    const next = await client.responses.create({
      model: "gpt-4o",
      input: "and then?",
      previous_response_id: again.id,
      user: "c-eu",
    });
    expect(next.output_text).toBe(`Hello from eu (after ${first.id})`);
    expect(hits()).toEqual({ eu: 2, us: 0 });
  });
});
