import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { STREAM_USAGE } from "../../src/demo/fake-upstream.js";
import { LocalRouterState } from "../../src/router/state.js";
import { parseEvents } from "../../src/wire/sse.js";
import { type Harness, post, startHarness } from "../harness.js";
import { until } from "../router-gateway.js";
import { TOY_COUNTS, ToyFake } from "./fake.js";
import { TOY_PREFIX, toyProvider } from "./provider.js";

/**
 * usage-based-routing-v2 must see a streamed request's tokens: the gateway asks the upstream for
 * usage at the end of every stream (OpenAI passthrough: `stream_options.include_usage`; the toy
 * reports counts anyway), counts them for the serving deployment, and takes the extra usage chunk
 * out again for a client that did not ask for it.
 *
 * Skipping is made deterministic with order tiers: `*-small` (tier 1) has a tpm just above one
 * request's estimate (content-length / 4), so only the tokens its first stream reports can push
 * it over; `*-big` (tier 2) serves once it is skipped.
 */
const BODY = (model: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: "user", content: "count me" }], stream: true, ...extra });
const estimate = (model: string) => Math.ceil(Buffer.byteLength(BODY(model)) / 4);

const YAML = `
model_list:
  - model_name: gpt-one
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu, tpm: 1000000 }
    model_info: { id: oa-one }
  - model_name: gpt-pair
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu, order: 1, tpm: ${estimate("gpt-pair") + 10} }
    model_info: { id: oa-small }
  - model_name: gpt-pair
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu2}}/v1", region_name: eu, order: 2, tpm: 1000000 }
    model_info: { id: oa-big }
  - model_name: toy-pair
    litellm_params: { model: toy/toy-1, api_base: "{{toyA}}", region_name: eu, order: 1, tpm: ${estimate("toy-pair") + 5} }
    model_info: { id: toy-small }
  - model_name: toy-pair
    litellm_params: { model: toy/toy-1, api_base: "{{toyB}}", region_name: eu, order: 2, tpm: 1000000 }
    model_info: { id: toy-big }
  - model_name: az-old
    litellm_params: { model: azure/old, api_base: "{{eu}}", api_key: az-key, api_version: "2024-06-01", region_name: eu }
  - model_name: az-new
    litellm_params: { model: azure/new, api_base: "{{eu}}", api_key: az-key, api_version: "2024-09-01-preview", region_name: eu }
router_settings:
  routing_strategy: usage-based-routing-v2
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`;

const MINUTE = 60_000;

describe("streamed tokens count for tpm routing", () => {
  const toyA = new ToyFake("a");
  const toyB = new ToyFake("b");
  const state = new LocalRouterState();
  let h: Harness;
  const tokens = (id: string) => state.usage(id, Date.now()).tokens;

  beforeAll(async () => {
    await Promise.all([toyA.start(), toyB.start()]);
    const yaml = YAML.replaceAll("{{toyA}}", toyA.url).replaceAll("{{toyB}}", toyB.url);
    h = await startHarness({
      yaml,
      upstreams: ["eu", "eu2"],
      routerState: state,
      providers: { [TOY_PREFIX]: toyProvider },
    });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([toyA.stop(), toyB.stop()]);
  });
  beforeEach(async () => {
    // Usage is kept per clock minute: a test must not straddle the boundary.
    const left = MINUTE - (Date.now() % MINUTE);
    if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
  });

  const stream = (model: string, extra: Record<string, unknown> = {}) =>
    post(`${h.url}/v1/chat/completions`, BODY(model, extra), h.auth);
  const usageChunks = (text: string) =>
    parseEvents(Buffer.from(text))
      .filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data))
      .filter((c) => c.usage);

  it("passthrough: upstream is asked for usage; a client that did not ask gets no usage chunk; tokens count", async () => {
    const before = tokens("oa-one");
    h.upstreams.eu.reset();
    const r = await stream("gpt-one");
    expect(r.status).toBe(200);
    expect(h.upstreams.eu.requests[0].body?.stream_options).toEqual({ include_usage: true });
    expect(usageChunks(r.text)).toEqual([]);
    expect(parseEvents(Buffer.from(r.text)).some((e) => e.data.includes('"choices":[]'))).toBe(false);
    expect(r.text.endsWith("data: [DONE]\n\n")).toBe(true);
    await until(() => tokens("oa-one") === before + STREAM_USAGE.total_tokens);
  });

  it("passthrough: a client that asked receives the usage chunk exactly once", async () => {
    const before = tokens("oa-one");
    h.upstreams.eu.reset();
    const r = await stream("gpt-one", { stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(h.upstreams.eu.requests[0].body?.stream_options).toEqual({ include_usage: true });
    const u = usageChunks(r.text);
    expect(u).toHaveLength(1);
    expect(u[0].usage).toEqual(STREAM_USAGE);
    expect(u[0].choices).toEqual([]);
    await until(() => tokens("oa-one") === before + STREAM_USAGE.total_tokens);
  });

  it("passthrough: a client that said include_usage: false is overruled upstream, other options kept, and gets none", async () => {
    h.upstreams.eu.reset();
    const r = await stream("gpt-one", { stream_options: { include_usage: false, x_keep: 1 } });
    expect(r.status).toBe(200);
    expect(h.upstreams.eu.requests[0].body?.stream_options).toEqual({ include_usage: true, x_keep: 1 });
    expect(usageChunks(r.text)).toEqual([]);
  });

  it("passthrough: a deployment at its tpm after a stream is skipped for the next one", async () => {
    h.upstreams.eu.reset();
    h.upstreams.eu2.reset();
    const first = await stream("gpt-pair");
    expect(first.headers.get("x-litellm-model-id")).toBe("oa-small");
    await until(() => tokens("oa-small") >= STREAM_USAGE.total_tokens);
    const second = await stream("gpt-pair");
    expect(second.status).toBe(200);
    expect(second.headers.get("x-litellm-model-id")).toBe("oa-big");
    expect([h.upstreams.eu.hits, h.upstreams.eu2.hits]).toEqual([1, 1]);
  });

  it("translating: the toy's streamed counts are counted, and its deployment at tpm is skipped", async () => {
    toyA.reset();
    toyB.reset();
    const first = await stream("toy-pair");
    expect(first.headers.get("x-litellm-model-id")).toBe("toy-small");
    expect(usageChunks(first.text)).toEqual([]);
    await until(() => tokens("toy-small") >= TOY_COUNTS.in + TOY_COUNTS.out);
    const second = await stream("toy-pair");
    expect(second.status).toBe(200);
    expect(second.headers.get("x-litellm-model-id")).toBe("toy-big");
    expect([toyA.hits, toyB.hits]).toEqual([1, 1]);
  });

  it("azure: api_version before 2024-09-01 is not asked for stream usage (it would refuse the request)", async () => {
    h.upstreams.eu.reset();
    const old = await stream("az-old");
    const recent = await stream("az-new");
    expect([old.status, recent.status]).toEqual([200, 200]);
    const [a, b] = h.upstreams.eu.requests;
    expect(a.url).toContain("api-version=2024-06-01");
    expect(a.body?.stream_options).toBeUndefined();
    expect(b.url).toContain("api-version=2024-09-01-preview");
    expect(b.body?.stream_options).toEqual({ include_usage: true });
  });
});
