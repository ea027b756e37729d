import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectInto } from "../../test/inject.js";
import { type Built, build } from "../app.js";
import { parseConfigText } from "../config/load.js";
import { createLogger } from "../observability/logger.js";
import { openStore, type Store } from "../store/customers.js";

const YAML = `
model_list:
  - model_name: m
    litellm_params: { model: openai/gpt-4o, mock_response: "Hi from eu", region_name: eu }
  - model_name: emb
    litellm_params: { model: openai/text-embedding-3-small, mock_response: "x", region_name: eu }
litellm_settings:
  cache: true
  cache_params:
    mode: default_off
    supported_call_types: ["acompletion", "atranscription"]
`;

/** Opt-in mode, supported_call_types, the cache_hit flag on the request record, and the metrics. */
describe("response cache: records, metrics, opt-in", () => {
  let built: Built;
  let store: Store;
  let dir: string;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "meridian-cache-"));
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    store = await openStore(`sqlite:${join(dir, "m.db")}`);
    built = await build({
      config: parseConfigText(YAML, "t.yaml", {}),
      store,
      logger: createLogger({ destination, level: "info", sync: true }),
    });
  });
  afterAll(async () => {
    await built?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (path: string, body: Record<string, unknown>) => {
    const r = await injectInto(built, { method: "POST", url: path, payload: body });
    return { status: r.statusCode, cache: r.headers["x-meridian-cache"], json: r.json() };
  };
  const requestLines = () => lines.filter((l) => l.msg === "request");

  it("default_off: only requests with use-cache use it; the request record says cache_hit", async () => {
    const plain = { model: "m", messages: [{ role: "user", content: "hi" }] };
    for (let i = 0; i < 2; i++) expect((await send("/chat/completions", plain)).cache).toBeUndefined();
    const opted = { ...plain, cache: { "use-cache": true } };
    expect((await send("/chat/completions", opted)).cache).toBe("miss");
    const hit = await send("/chat/completions", opted);
    expect(hit.cache).toBe("hit");
    expect(hit.json.choices[0].message.content).toBe("Hi from eu");
    const recs = requestLines();
    expect(recs.map((l) => l.cache_hit)).toEqual([undefined, undefined, false, true]);
    expect(recs[3]).toMatchObject({
      cached_from: expect.any(String),
      region: "eu",
      status: 200,
    });
  });

  it("an operation outside supported_call_types is never cached", async () => {
    const body = { model: "emb", input: "x", cache: { "use-cache": true } };
    expect((await send("/embeddings", body)).cache).toBeUndefined();
    expect((await send("/embeddings", body)).cache).toBeUndefined();
  });

  it("hits, misses and bytes by model group and geography on /metrics", async () => {
    const r = await injectInto(built, { method: "GET", url: "/metrics" });
    const text = r.body;
    expect(text).toMatch(/meridian_cache_hits_total\{model_group="m",geography="eu"\} 1/);
    expect(text).toMatch(/meridian_cache_misses_total\{model_group="m",geography="\*"\} 1/);
    expect(text).toMatch(/meridian_cache_stored_bytes_total\{model_group="m",geography="eu"\} [1-9]/);
    expect(text).toMatch(/meridian_cache_hit_bytes_total\{model_group="m",geography="eu"\} [1-9]/);
    expect(text).toMatch(/meridian_cache_memory_bytes [1-9]/);
  });

  it("a hit's spend-log record names the deployment and geography that produced it; the residency report counts it there", async () => {
    const body = {
      model: "m",
      messages: [{ role: "user", content: "where" }],
      user: "c-1",
      cache: { "use-cache": true },
    };
    expect((await send("/chat/completions", body)).cache).toBe("miss");
    expect((await send("/chat/completions", body)).cache).toBe("hit");
    await built.spendLog?.flush();
    const { rows } = await store.spend.find({ endUser: "c-1" }, 10, 0);
    const [hit, miss] = [rows.find((r) => r.cache_hit === 1), rows.find((r) => r.cache_hit === 0)];
    expect(hit).toMatchObject({
      model_id: miss?.model_id,
      geography: "eu",
      region_source: "cache_entry",
      attempts: "[]",
      status: "success",
    });
    const report = await injectInto(built, { method: "GET", url: "/audit/residency?end_user=c-1" });
    expect(report.json().customers[0]).toMatchObject({
      requests: 2,
      served_by_geography: { eu: 2 },
      refused_or_failed: 0,
    });
  });
});

describe("cache_params problems stop startup, located", () => {
  const bad = (params: string) => () =>
    parseConfigText(
      `model_list: []\nlitellm_settings:\n  cache: true\n  cache_params:\n${params}`,
      "t.yaml",
      {},
    );
  it("an unknown call type, a non-geography, a type redis without any Redis", () => {
    expect(bad("    supported_call_types: [acompletion, chat]\n")).toThrow(/unknown call type "chat"/);
    expect(bad("    geographies:\n      europe: { host: h }\n")).toThrow(/"europe" is not a geography/);
    expect(bad("    type: redis\n")).toThrow(/type redis needs/);
  });
  it("a LiteLLM cache type Meridian has not built leaves the cache off, with a warning", () => {
    const c = parseConfigText(
      "model_list: []\nlitellm_settings:\n  cache: true\n  cache_params: { type: s3 }\n",
      "t.yaml",
      {},
    );
    expect(c.cache).toBeUndefined();
    expect(c.warnings.join("\n")).toMatch(/cache type "s3" is not supported/);
  });
});
