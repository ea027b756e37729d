import { afterAll, describe, expect, it } from "vitest";
import { postgresAdapter, sqliteAdapter } from "../../test/store-adapters.js";
import { link } from "../audit/chain.js";
import { buildRecord, type RecordInput } from "../audit/record.js";
import { verifySpendLog } from "../audit/verify.js";
import { openStore } from "./customers.js";

/**
 * Values a long-lived chain or a strange upstream produces must fit both databases: a sequence
 * number past 2^31 (a stable instance id after weeks) and token counts an upstream made up. A value
 * one database cannot take would fail its batch and every batch queued behind it.
 */
const adapters = [sqliteAdapter(), postgresAdapter()];
afterAll(async () => {
  for (const a of adapters) await a.cleanup();
});

const input = (usage: RecordInput["usage"]): RecordInput => ({
  callId: `call-${Math.random().toString(36).slice(2)}`,
  op: "chat",
  who: {},
  model: "gpt-4o",
  group: "gpt-4o",
  policy: { key: "*", allowed: null, sources: [] } as unknown as RecordInput["policy"],
  deployment: undefined,
  attempts: [],
  usage,
  cost: 0.5,
  startMs: Date.now() - 5,
  endMs: Date.now(),
  firstChunkMs: undefined,
  httpStatus: 200,
  error: undefined,
  stream: undefined,
});

describe("token counts an upstream reports are recorded as whole numbers from 0 to 2^53 - 1", () => {
  it.each([
    [{ prompt: 1e20, completion: -3, total: 1.5 }, [Number.MAX_SAFE_INTEGER, 0, 1]],
    [
      { prompt: Number.NaN, completion: 3e9, total: Number.POSITIVE_INFINITY },
      [0, 3e9, Number.MAX_SAFE_INTEGER],
    ],
  ])("%o", (usage, want) => {
    const r = buildRecord(input(usage));
    expect([r.prompt_tokens, r.completion_tokens, r.total_tokens]).toEqual(want);
  });
});

describe.each(adapters)("spend log limits on $name", (a) => {
  it("stores sequence numbers past 2^31 and huge token counts, and verifies them", async () => {
    const store = await openStore(a.fresh());
    try {
      const id = "long-lived";
      const head = await store.spend.registerChain(id);
      expect(head.seq).toBe(0);
      // a chain that has already given out 2^31 + 5 records (its earlier records pruned by retention
      // would read as missing; here the head is moved as a long run would have left it)
      head.seq = 2 ** 31 + 5;
      const records = [
        link(head, buildRecord(input({ prompt: 3e9, completion: 2 ** 40, total: 1e20 }))),
        link(head, buildRecord(input({ prompt: 1, completion: 2, total: 3 }))),
      ];
      expect(await store.spend.insert(records)).toBe(2);
      const { rows } = await store.spend.find({}, 10, 0);
      const big = rows.find((r) => r.request_id === records[0].request_id);
      expect(big).toMatchObject({
        seq: 2 ** 31 + 6,
        prompt_tokens: 3e9,
        completion_tokens: 2 ** 40,
        total_tokens: Number.MAX_SAFE_INTEGER,
      });
      expect((await store.spend.registerChain(id)).seq).toBe(2 ** 31 + 7);
      const report = await verifySpendLog(store.spend);
      // the records before 2^31 + 6 were never written: one run reported missing, the two intact
      expect(report.problems).toEqual([
        expect.objectContaining({ kind: "missing", seq: 1, last_seq: 2 ** 31 + 5 }),
      ]);
    } finally {
      await store.close();
    }
  });
});
