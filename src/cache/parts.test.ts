import { describe, expect, it } from "vitest";
import type { CacheConfig } from "../config/cache-params.js";
import type { Logger } from "../observability/logger.js";
import { policyOf, restriction, UNRESTRICTED } from "../router/filters.js";
import { assembleStream } from "./assemble.js";
import { ResponseCache } from "./cache.js";
import { cacheControls } from "./controls.js";
import { decodeEntry, encodeEntry } from "./entry.js";
import { cacheKey } from "./key.js";
import { ByteLru } from "./lru.js";
import { replayStream } from "./replay.js";

const eu = policyOf([restriction("customer", "c", "eu")], "c");

describe("cache key", () => {
  const body = { model: "x", messages: [{ role: "user", content: "hi" }], temperature: 0.2 };
  it("ignores key order, user, metadata, stream, stream_options and cache controls", () => {
    const k = cacheKey("chat", "g", eu, body);
    expect(
      cacheKey("chat", "g", eu, {
        temperature: 0.2,
        messages: [{ content: "hi", role: "user" }],
        user: "u",
        metadata: { a: 1 },
        stream: true,
        stream_options: { include_usage: true },
        cache: { ttl: 5 },
      }),
    ).toBe(k);
  });
  it("differs by policy, model group, operation and any answer-changing field", () => {
    const k = cacheKey("chat", "g", eu, body);
    expect(cacheKey("chat", "g", UNRESTRICTED, body)).not.toBe(k);
    expect(cacheKey("chat", "g2", eu, body)).not.toBe(k);
    expect(cacheKey("completions", "g", eu, body)).not.toBe(k);
    expect(cacheKey("chat", "g", eu, { ...body, temperature: 0.3 })).not.toBe(k);
    expect(cacheKey("chat", "g", eu, { ...body, messages: [{ role: "user", content: "hi!" }] })).not.toBe(k);
  });
});

describe("ByteLru", () => {
  it("evicts the least recently used past its byte bound, and expires by TTL", () => {
    const lru = new ByteLru<string>(60); // three entries of 20 bytes (a 2-unit key is 4 bytes, the value 16)
    lru.set("k1", "v", 16, 1000, 0);
    lru.set("k2", "v", 16, 1000, 0);
    lru.set("k3", "v", 16, 1000, 0);
    expect(lru.get("k1", 1)).toBeDefined(); // k1 now most recent
    lru.set("k4", "v", 16, 1000, 1);
    expect(lru.get("k2", 2)).toBeUndefined();
    expect(lru.get("k1", 2)).toBeDefined();
    expect(lru.bytes).toBeLessThanOrEqual(60);
    expect(lru.get("k3", 1001)).toBeUndefined();
    expect(lru.set("huge", "v", 200, 1000, 0)).toBe(false);
  });
});

describe("per-request controls", () => {
  it("reads the body's cache object and Cache-Control, the body winning", () => {
    expect(
      cacheControls({ cache: { "no-cache": true, ttl: 5, "s-maxage": "2", namespace: "n" } }, {}),
    ).toEqual({
      noCache: true,
      noStore: false,
      ttlMs: 5000,
      maxAgeMs: 2000,
      namespace: "n",
      useCache: false,
    });
    const h = cacheControls({}, { "cache-control": "no-store, s-maxage=3" });
    expect([h.noStore, h.maxAgeMs]).toEqual([true, 3000]);
    expect(cacheControls({ cache: { "no-store": false } }, { "cache-control": "no-store" }).noStore).toBe(
      false,
    );
    expect(cacheControls({ cache: { ttl: "soon" } }, {}).ttlMs).toBeUndefined();
  });
});

describe("entries", () => {
  it("round-trip, and anything else is dropped", () => {
    const e = { geo: "eu" as const, deployment: "d", op: "chat", at: 5, body: '{"id":"x"}' };
    expect(decodeEntry(encodeEntry(e))).toEqual(e);
    for (const bad of [
      "",
      "{",
      '{"v":2}',
      encodeEntry({ ...e, body: "[1]" }),
      encodeEntry({ ...e, body: '{"error":{}}' }),
      encodeEntry(e).replace('"eu"', '"mars"'),
    ])
      expect(decodeEntry(bad)).toBeUndefined();
  });
});

describe("stream assembly and replay", () => {
  const chunk = (delta: object, finish: string | null = null, index = 0) =>
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 7,
      model: "m",
      choices: [{ index, delta, finish_reason: finish }],
    });
  it("tool calls are merged by index, and the replay assembles back to the same answer", () => {
    const events = [
      chunk({ role: "assistant", content: null }),
      chunk({
        tool_calls: [{ index: 0, id: "t1", type: "function", function: { name: "get", arguments: '{"a"' } }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ":1}" } }] }),
      chunk({}, "tool_calls"),
      "[DONE]",
    ];
    const answer = assembleStream("chat", events, {
      prompt_tokens: 1,
      completion_tokens: 2,
      total_tokens: 3,
    });
    expect(answer?.choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t1", type: "function", function: { name: "get", arguments: '{"a":1}' } }],
        },
        finish_reason: "tool_calls",
      },
    ]);
    const replay = replayStream("chat", answer as Record<string, unknown>, true) as string;
    const again = replay
      .split("\n\n")
      .filter((e) => e.startsWith("data: "))
      .map((e) => e.slice(6));
    expect(assembleStream("chat", again, undefined)).toEqual(answer);
    expect(again.at(-2)).toContain('"choices":[],"usage":{"prompt_tokens":1');
  });
  it("a stream without a finish_reason, or with an error chunk, is not an answer", () => {
    expect(assembleStream("chat", [chunk({ content: "a" })], undefined)).toBeUndefined();
    expect(
      assembleStream("chat", [chunk({ content: "a" }, "stop"), '{"error":{"message":"x"}}'], undefined),
    ).toBeUndefined();
  });
  it("embeddings have no stream shape", () => {
    expect(replayStream("embeddings", { data: [] }, false)).toBeUndefined();
  });
});

describe("a Redis that cannot be reached", () => {
  it("skips the cache with one warning per window, counts every failure, and rests it a moment", async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
    const cfg: CacheConfig = {
      type: "redis",
      mode: "default_on",
      ttlMs: 1000,
      namespace: undefined,
      operations: new Set(["chat"]),
      maxMemoryBytes: 1 << 20,
      maxItemBytes: 1 << 20,
      redisUrl: "redis://127.0.0.1:1",
      geographyRedis: new Map(),
      redisTimeoutMs: 100,
    };
    const cache = new ResponseCache(cfg, logger);
    try {
      for (let i = 0; i < 5; i++) expect((await cache.lookup("k", eu, undefined)).entry).toBeUndefined();
      expect(warnings).toHaveLength(1);
      const m = await cache.metrics.registry.getSingleMetricAsString("meridian_cache_errors_total");
      // the first call fails; the next ones skip the Redis that just failed without trying it
      expect(m).toContain('meridian_cache_errors_total{store="redis",op="get"} 1');
      expect(m).toContain('meridian_cache_errors_total{store="redis",op="skip"} 4');
    } finally {
      await cache.close();
    }
  });
});
