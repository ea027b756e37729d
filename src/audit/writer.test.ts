import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../observability/logger.js";
import type { Deployment } from "../router/deployment.js";
import { openStore, type Store } from "../store/customers.js";
import type { RecordInput } from "./record.js";
import { verifySpendLog } from "./verify.js";
import { SpendWriter } from "./writer.js";

const dir = mkdtempSync(join(tmpdir(), "meridian-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = {
  id: "d-eu",
  provider: "openai",
  apiBase: "http://127.0.0.1:1/v1",
  geography: "eu",
} as Deployment;
const input = (n: number): RecordInput => ({
  callId: `call-${n}`,
  op: "chat",
  who: {},
  model: "m",
  group: "m",
  policy: { allowed: null, sources: [] } as unknown as RecordInput["policy"],
  deployment,
  attempts: [],
  usage: undefined,
  cost: undefined,
  startMs: Date.UTC(2026, 11, 3, 0, 0, n),
  endMs: Date.UTC(2026, 11, 3, 0, 0, n + 1),
  firstChunkMs: undefined,
  httpStatus: 200,
  error: undefined,
  stream: undefined,
});

const writer = (store: Store, spillDir: string, maxQueue = 10_000) =>
  SpendWriter.start({
    store: store.spend,
    instanceId: "gw-stable",
    logger: silentLogger(),
    batchSize: 200,
    flushMs: 3_600_000,
    maxQueue,
    spillDir,
  });

describe("SpendWriter on SQLite", () => {
  it("a stable chain id restarted after a crash with a spill file: spilled records replayed, new ones follow them", async () => {
    const file = join(dir, "crash.db");
    const spillDir = join(dir, "spill");
    const store = await openStore(`sqlite:${file}`);
    try {
      // the first process: the queue holds one record, the overflow (1..4) is spilled; then it dies
      const first = await writer(store, spillDir, 1);
      for (let n = 1; n <= 5; n++) first.add(input(n));
      expect(first.stats.spilled).toBe(4);
      expect(readdirSync(spillDir)).toHaveLength(1);

      const second = await writer(store, spillDir);
      expect(second.stats.replayed).toBe(4);
      for (let n = 6; n <= 8; n++) second.add(input(n));
      await second.close();
      expect(second.stats.written).toBe(3);

      const ids: string[] = [];
      for await (const r of store.spend.range(undefined, undefined)) ids.push(r.request_id);
      expect(ids).toEqual(["call-1", "call-2", "call-3", "call-4", "call-6", "call-7", "call-8"]);
      const report = await verifySpendLog(store.spend);
      expect(report.problems).toEqual([]);
      expect(report.chains.map((c) => [c.instance_id, c.records, c.head_seq])).toEqual([["gw-stable", 7, 7]]);
    } finally {
      await store.close();
    }
  });

  it("a batch holding a record already stored (a replay) stores the rest, and adds their spend once", async () => {
    const store = await openStore(`sqlite:${join(dir, "replay.db")}`);
    try {
      const w = await writer(store, join(dir, "spill-2"));
      for (let n = 1; n <= 3; n++) w.add(input(n));
      await w.flush();
      const stored: Parameters<typeof store.spend.insert>[0][number][] = [];
      for await (const r of store.spend.range(undefined, undefined)) stored.push(r);
      // the same three again, plus a fourth chained after them
      const fourth = {
        ...stored[2],
        seq: 4,
        request_id: "call-4",
        prev_hash: stored[2].hash,
        hash: "x".repeat(64),
      };
      expect(await store.spend.insert([...stored, fourth])).toBe(1);
      const ids: string[] = [];
      for await (const r of store.spend.range(undefined, undefined)) ids.push(r.request_id);
      expect(ids.sort()).toEqual(["call-1", "call-2", "call-3", "call-4"]);
      await w.close();
    } finally {
      await store.close();
    }
  });
});
