import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { deleteKeys, TEST_PG_URL, TEST_REDIS_URL, uniqueName } from "../../test/testkit.js";
import { RedisLink } from "../kv/redis.js";
import { silentLogger } from "../observability/logger.js";
import { openStore, type Store } from "../store/customers.js";
import { Affinity, AffinityUnavailable } from "./affinity.js";

/**
 * The affinity contract against the real stores (SQLite file, Postgres schema), with and without
 * Redis: what one instance remembers, another finds; forgotten means gone everywhere; a store that
 * cannot answer is an error, never "unknown".
 */
const dir = mkdtempSync(join(tmpdir(), "meridian-affinity-"));
const schemas: string[] = [];
const PREFIX = `${uniqueName("affinity")}:`;
const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`drop schema if exists "${s}" cascade`);
  await c.end();
  await deleteKeys(TEST_REDIS_URL, PREFIX);
  rmSync(dir, { recursive: true, force: true });
});

const STORES = {
  sqlite: () => `sqlite:${join(dir, `a-${randomBytes(4).toString("hex")}.db`)}`,
  postgres: () => {
    const s = uniqueName("aff");
    schemas.push(s);
    return `${TEST_PG_URL}?schema=${s}`;
  },
};

async function open(url: string): Promise<Store> {
  const store = await openStore(url);
  closers.push(() => store.close());
  return store;
}

async function link(): Promise<RedisLink> {
  const l = new RedisLink({ url: TEST_REDIS_URL, logger: silentLogger(), prefix: PREFIX });
  closers.push(() => l.close());
  expect(await l.waitReady(3_000)).toBe(true);
  return l;
}

for (const [name, fresh] of Object.entries(STORES)) {
  for (const withRedis of [false, true]) {
    describe(`affinity: ${name}${withRedis ? " + redis" : ""}`, () => {
      it("an id remembered on one instance is found on another; unknown ids are undefined", async () => {
        const url = fresh();
        const a = new Affinity((await open(url)).affinity, { redis: withRedis ? await link() : undefined });
        const b = new Affinity((await open(url)).affinity, { redis: withRedis ? await link() : undefined });
        const id = `resp_${randomBytes(6).toString("hex")}`;
        await a.remember("response", id, "dep-eu", { geographies: ["eu"] });
        const found = await b.lookup("response", id);
        expect(found).toMatchObject({
          kind: "response",
          id,
          deploymentId: "dep-eu",
          policyGeographies: ["eu"],
        });
        expect(await b.lookup("response", "resp_unknown")).toBeUndefined();
        // the owner travels with the entry (store and Redis alike); none written, none read
        await a.remember("response", `${id}_owned`, "dep-eu", { geographies: ["eu"], owner: "team:t1" });
        expect((await b.lookup("response", `${id}_owned`))?.owner).toBe("team:t1");
        expect(found?.owner).toBeUndefined();
        // kinds are separate namespaces
        expect(await b.lookup("file", id)).toBeUndefined();
      });

      it("keeps data as JSON and forgets everywhere", async () => {
        const url = fresh();
        const a = new Affinity((await open(url)).affinity, { redis: withRedis ? await link() : undefined });
        const b = new Affinity((await open(url)).affinity, { redis: withRedis ? await link() : undefined });
        const id = `resp_${randomBytes(6).toString("hex")}`;
        const data = { messages: [{ role: "user", content: "hi ✓" }] };
        await a.remember("response", id, "dep-1", { data });
        expect((await b.lookup("response", id))?.data).toEqual(data);
        expect((await b.lookup("response", id))?.policyGeographies).toBeUndefined();
        await a.forget("response", id);
        expect(await b.lookup("response", id)).toBeUndefined();
        expect(await a.lookup("response", id)).toBeUndefined();
      });

      it("a store that cannot answer is AffinityUnavailable for an id nobody holds in front of it", async () => {
        const url = fresh();
        const store = await open(url);
        const aff = new Affinity(store.affinity, { redis: withRedis ? await link() : undefined });
        const cached = `resp_${randomBytes(6).toString("hex")}`;
        await aff.remember("response", cached, "dep-eu");
        await store.close();
        // what this instance (or Redis) already knows still routes
        expect((await aff.lookup("response", cached))?.deploymentId).toBe("dep-eu");
        await expect(aff.lookup("response", "resp_nobody_knows")).rejects.toBeInstanceOf(AffinityUnavailable);
        if (withRedis) {
          // store down, Redis up: remembered in Redis, found by another instance through it
          const other = new Affinity((await open(fresh())).affinity, { redis: await link() });
          await aff.remember("response", "resp_store_down", "dep-x");
          expect((await other.lookup("response", "resp_store_down"))?.deploymentId).toBe("dep-x");
        } else {
          await expect(aff.remember("response", "resp_store_down", "dep-x")).rejects.toBeInstanceOf(
            AffinityUnavailable,
          );
        }
      });
    });
  }
}

describe("affinity: local cache", () => {
  it("serves a remembered id without the store, and drops the least recently used beyond its size", async () => {
    const store = await open(STORES.sqlite());
    let gets = 0;
    const table = {
      ...store.affinity,
      get: (k: string, i: string) => {
        gets++;
        return store.affinity.get(k, i);
      },
    };
    const aff = new Affinity(table, { maxEntries: 2 });
    await aff.remember("file", "f1", "d1");
    await aff.remember("file", "f2", "d2");
    await aff.lookup("file", "f1");
    expect(gets).toBe(0);
    await aff.remember("file", "f3", "d3"); // f2 is the least recently used
    await aff.lookup("file", "f1");
    await aff.lookup("file", "f3");
    expect(gets).toBe(0);
    expect((await aff.lookup("file", "f2"))?.deploymentId).toBe("d2");
    expect(gets).toBe(1);
  });
});
