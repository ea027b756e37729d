import { readdirSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type Harness, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { dropSchema, PgProxy, TEST_PG_URL, uniqueName } from "../../test/testkit.js";
import { verifySpendLog } from "./verify.js";

/**
 * The spend log on Postgres when things go wrong: the database cut for 30 s under load (nothing
 * lost once it is back: queue, spill file, replay), restarts (a stable chain continues) and two
 * instances writing at once (a chain each, both verify).
 */
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

function pgUrl(port: number, schema: string): string {
  const u = new URL(TEST_PG_URL);
  u.host = `127.0.0.1:${port}`;
  u.searchParams.set("schema", schema);
  return u.toString();
}

const yaml = (extra: string) => `${SEED_YAML}  proxy_batch_write_at: 0.2\n${extra}`;

/** One request (a third of them streamed); the call id of every answer the client got. */
async function shoot(h: Harness, i: number): Promise<string | undefined> {
  const stream = i % 3 === 0;
  try {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...h.auth },
      body: JSON.stringify({
        model: "gpt-3.5-turbo",
        messages: [{ role: "user", content: `n${i}` }],
        stream,
      }),
    });
    await res.text();
    return res.headers.get("x-litellm-call-id") ?? undefined;
  } catch {
    return undefined;
  }
}

async function load(h: Harness, workers: number, until: () => boolean, pauseMs: number): Promise<string[]> {
  const ids: string[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!until()) {
        const id = await shoot(h, n++);
        if (id) ids.push(id);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  return ids;
}

async function storedIds(h: Harness): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const r of h.store.spend.range(undefined, undefined)) out.add(r.request_id);
  return out;
}

describe("spend log durability on Postgres", () => {
  it("a 30 s database outage under load loses no record: queued, spilled, replayed; the chain verifies", async () => {
    const proxy = await new PgProxy().start();
    const schema = uniqueName("meridian_spend_outage");
    schemas.push(schema);
    const h = await startHarness({
      yaml: yaml("  spend_logs_max_queue: 100\n  spend_logs_batch_size: 50\n"),
      env: SEED_ENV,
      databaseUrl: pgUrl(proxy.port, schema),
    });
    try {
      const writer = h.built.spendLog!;
      let phase = "before";
      const until = () => phase === "done";
      const running = load(h, 4, until, 20);
      await new Promise((r) => setTimeout(r, 1_000));
      await proxy.cut();
      phase = "outage";
      await new Promise((r) => setTimeout(r, 30_000));
      const duringOutage = { ...writer.stats };
      await proxy.restore();
      phase = "after";
      await new Promise((r) => setTimeout(r, 1_000));
      phase = "done";
      const answered = await running;
      // the outage really happened and really overflowed to disk
      expect(duringOutage.databaseUp).toBe(false);
      expect(duringOutage.spilled).toBeGreaterThan(0);
      expect(answered.length).toBeGreaterThan(100); // real load (this shared box gave 482-1,759)
      let stored = new Set<string>();
      for (let i = 0; i < 60 && stored.size < answered.length; i++) {
        await writer.flush();
        stored = await storedIds(h);
        if (stored.size < answered.length) await new Promise((r) => setTimeout(r, 500));
      }
      const lost = answered.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(stored.size).toBe(answered.length);
      expect(writer.stats.replayed).toBe(writer.stats.spilled);
      const spillDir = h.built.gateway.config.general.spendLogs.spillDir;
      expect(readdirSync(spillDir).filter((f) => f.startsWith("spend-spill-"))).toEqual([]);
      const report = await verifySpendLog(h.store.spend);
      expect(report.problems).toEqual([]);
      expect(report.records).toBe(answered.length);
      console.log(
        `outage: ${answered.length} answered, ${duringOutage.spilled} spilled during 30 s, ${writer.stats.failedWrites} failed writes, 0 lost`,
      );
    } finally {
      await h.close();
      await proxy.cut();
    }
  }, 120_000);

  it("a stable chain continues across restarts; two instances writing at once each keep a chain", async () => {
    const schema = uniqueName("meridian_spend_chains");
    schemas.push(schema);
    const url = `${TEST_PG_URL}?schema=${schema}`;
    const start = (id: string) =>
      startHarness({ yaml: yaml(""), env: { ...SEED_ENV, MERIDIAN_INSTANCE_ID: id }, databaseUrl: url });
    let a = await start("gw-a");
    let b = await start("gw-b");
    const all: string[] = [];
    for (let round = 0; round < 3; round++) {
      const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => shoot(i % 2 ? a : b, i)));
      all.push(...(ids.filter(Boolean) as string[]));
      // restart both: close drains their writers; the next start continues each chain from its head
      await a.close();
      await b.close();
      a = await start("gw-a");
      b = await start("gw-b");
    }
    try {
      const report = await verifySpendLog(a.store.spend);
      expect(report.problems).toEqual([]);
      expect(report.chains.map((c) => [c.instance_id, c.records, c.head_seq])).toEqual([
        ["gw-a", 45, 45],
        ["gw-b", 45, 45],
      ]);
      const stored = await storedIds(a);
      expect(all.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
