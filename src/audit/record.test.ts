import { describe, expect, it } from "vitest";
import { sampleRecord } from "../../test/spend-fixtures.js";
import type { Deployment } from "../router/deployment.js";
import { policyOf, restriction } from "../router/filters.js";
import { ChainVerifier, GENESIS, link, recordHash } from "./chain.js";
import { costOf, priceOf, tablePrice } from "./prices.js";
import { buildRecord, RECORD_FIELDS, recordValues, type SpendRecord } from "./record.js";

const base = {
  callId: "c1",
  op: "chat",
  who: {},
  model: "gpt-4o",
  group: "gpt-4o",
  policy: policyOf([restriction("customer", "acme", "eu")], "acme"),
  deployment: undefined,
  attempts: [],
  usage: undefined,
  cost: undefined,
  startMs: Date.UTC(2026, 11, 1),
  endMs: Date.UTC(2026, 11, 1, 0, 0, 1),
  firstChunkMs: undefined,
  httpStatus: 403,
  error: undefined,
  stream: undefined,
};

describe("buildRecord", () => {
  it("lists a record's values in RECORD_FIELDS order (the order the chain hashes and SQLite binds)", () => {
    // every field a value of its own, so a swapped pair or a missing field shows
    const r = Object.fromEntries(RECORD_FIELDS.map((f, i) => [f, `${f}-${i}`])) as unknown as SpendRecord;
    expect(recordValues(r, "a", "b")).toEqual(["a", "b", ...RECORD_FIELDS.map((f, i) => `${f}-${i}`)]);
  });

  it("writes times as toISOString does, across seconds, days and the epoch", () => {
    const want0 = new Date(0).toISOString();
    const times = [
      0,
      -1,
      -999.5,
      999.9,
      1000,
      59_999,
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      8.64e15 - 2,
      -8.64e15,
      253402300800000,
    ];
    for (let i = 0; i < 500; i++) times.push(Math.random() * 4e12 - 1e12, 1.7e12 + i * 7.3);
    for (const ms of times) {
      const r = buildRecord({ ...base, startMs: ms, endMs: ms + 1, firstChunkMs: ms + 0.5 });
      const want = (t: number) => new Date(t).toISOString();
      expect([r.start_time, r.end_time, r.completion_start_time]).toEqual([
        want(ms),
        want(ms + 1),
        want(ms + 0.5),
      ]);
    }
    const out = buildRecord({ ...base, startMs: 8.64e15 + 1, endMs: Number.NaN });
    expect([out.start_time, out.end_time]).toEqual([want0, want0]);
  });

  it("writes what it knows when a value cannot be serialised (cycle, BigInt, bad times), never throws", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const r = buildRecord({
      ...base,
      prompt: cyclic,
      response: { n: 10n },
      startMs: Number.NaN,
      cost: Number.POSITIVE_INFINITY,
    });
    expect(JSON.parse(r.messages as string)).toHaveProperty("unserialisable");
    expect(JSON.parse(r.response as string)).toHaveProperty("unserialisable");
    expect(r.start_time).toBe("1970-01-01T00:00:00.000Z");
    expect(r.spend).toBe(0);
    expect(r).toMatchObject({ request_id: "c1", end_user: "acme", status: "failure", http_status: 403 });
    expect(JSON.parse(r.policy)).toEqual({
      allowed: ["eu"],
      sources: [{ source: "customer", id: "acme", allowed: ["eu"] }],
    });
  });

  it("keeps no prompt or answer unless given one (the opt-in passes them)", () => {
    const r = buildRecord(base);
    expect(r.messages).toBeNull();
    expect(r.response).toBeNull();
  });
});

describe("hash chain", () => {
  it("links each record to the one before and catches an edit, a gap and a stranger", () => {
    const head = { instance_id: "i", seq: 0, hash: GENESIS };
    const rows = [1, 2, 3, 4].map((i) => link(head, sampleRecord({ request_id: `r${i}` })));
    expect(rows[0].prev_hash).toBe(GENESIS);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(recordHash(rows[2].prev_hash, "i", 3, rows[2])).toBe(rows[2].hash);
    const verify = (list: typeof rows, h = { ...head }) => {
      const v = new ChainVerifier("i", h);
      for (const r of list) v.add(r);
      v.finish();
      return v.problems.map((p) => [p.kind, p.request_id ?? p.seq]);
    };
    expect(verify(rows)).toEqual([]);
    expect(verify([rows[0], { ...rows[1], spend: 99 }, rows[2], rows[3]])).toEqual([["edited", "r2"]]);
    expect(verify([rows[0], rows[1], rows[3]])).toEqual([["missing", 3]]);
    expect(verify(rows.slice(0, 3))).toEqual([["missing", 4]]);
    // a replaced record re-hashed to look whole still breaks the link to it
    const forged = { ...rows[1], spend: 99 };
    forged.hash = recordHash(forged.prev_hash, "i", 2, forged);
    expect(verify([rows[0], forged, rows[2], rows[3]])).toEqual([["edited", "r3"]]);
    // renumbering changes the hashed content
    expect(verify([rows[0], rows[1], { ...rows[3], seq: 3 }], { ...head, seq: 3 })[0][0]).toBe("edited");
    const stranger = new ChainVerifier("x", undefined);
    stranger.add(rows[0]);
    expect(stranger.problems.map((p) => p.kind)).toEqual(["inserted"]);
  });

  it("checks records that come in call-id order, not sequence order (a long request ends after later ones)", () => {
    const head = { instance_id: "i", seq: 0, hash: GENESIS };
    const rows = Array.from({ length: 50 }, (_, i) => link(head, sampleRecord({ request_id: `r${i + 1}` })));
    // records 1-50 in a shuffled order within windows of 10, as overlapping requests make them
    const shuffled = rows
      .map((r, i) => ({ r, k: Math.floor(i / 10) * 10 + ((i * 7) % 10) }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.r);
    expect(shuffled.map((r) => r.seq)).not.toEqual(rows.map((r) => r.seq));
    const verify = (list: typeof rows, maxHeld?: number) => {
      const v = new ChainVerifier("i", { ...head }, maxHeld);
      for (const r of list) v.add(r);
      v.finish();
      return v.problems.map((p) => [p.kind, p.request_id ?? p.seq]);
    };
    expect(verify(shuffled)).toEqual([]);
    expect(verify([...rows].reverse())).toEqual([]);
    expect(verify(shuffled.filter((r) => r.seq !== 17))).toEqual([["missing", 17]]);
    expect(verify([...shuffled, rows[20]])).toEqual([["inserted", "r21"]]);
    expect(verify(shuffled.map((r) => (r.seq === 33 ? { ...r, model: "forged" } : r)))).toEqual([
      ["edited", "r33"],
    ]);
    // a deleted record holds back at most maxHeld records: then it counts as missing and the rest
    // is checked as it comes
    expect(
      verify(
        rows.filter((r) => r.seq !== 5),
        3,
      ),
    ).toEqual([["missing", 5]]);
  });
});

describe("prices", () => {
  const dep = (over: Partial<Deployment>) =>
    ({
      upstreamModel: "gpt-4o",
      mockResponse: undefined,
      inputCostPerToken: undefined,
      outputCostPerToken: undefined,
      ...over,
    }) as Deployment;
  it("finds dated versions, region profiles and provider paths; the longest name wins", () => {
    expect(tablePrice("gpt-4o-2024-08-06")).toMatchObject({ input: 2.5e-6, output: 10e-6 });
    expect(tablePrice("gpt-4o-mini-2024-07-18")).toMatchObject({ input: 0.15e-6 });
    expect(tablePrice("eu.anthropic.claude-3-5-sonnet-20240620-v1:0")).toMatchObject({
      input: 3e-6,
      output: 15e-6,
    });
    expect(tablePrice("publishers/google/models/gemini-2.5-pro")).toMatchObject({ output: 10e-6 });
    expect(tablePrice("claude-3-5-haiku-20241022")?.input).toBeCloseTo(0.8e-6, 15);
    expect(tablePrice("gpt-4ox")).toBeUndefined();
    expect(tablePrice("my-custom-model")).toBeUndefined();
  });
  it("model_info prices override the table; a mock deployment costs nothing unless priced", () => {
    expect(priceOf(dep({ inputCostPerToken: 1, outputCostPerToken: 2 }))).toEqual({
      input: 1,
      output: 2,
      source: "model_info",
    });
    expect(priceOf(dep({}))?.source).toBe("table");
    expect(priceOf(dep({ mockResponse: "hi" }))).toBeUndefined();
    expect(
      costOf({ input: 1e-6, output: 2e-6, source: "table" }, { prompt: 10, completion: 5, total: 15 }),
    ).toBeCloseTo(20e-6, 15);
  });
});
