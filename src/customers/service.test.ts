import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalBus } from "../kv/bus.js";
import type { RegionPolicy } from "../router/filters.js";
import { openStore, type Store } from "../store/customers.js";
import { CustomerService } from "./service.js";

/** The real SQLite store, with reads held until released: lets a test interleave a change with a read. */
function withHeldReads(store: Store) {
  const held: Array<() => void> = [];
  const wrapped: Store = Object.create(store);
  wrapped.getCustomer = async (id) => {
    const row = await store.getCustomer(id);
    await new Promise<void>((resolve) => held.push(resolve));
    return row;
  };
  return {
    store: wrapped,
    release: () => {
      for (const r of held.splice(0)) r();
    },
  };
}

describe("CustomerService cache", () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "meridian-svc-"));
    store = await openStore(`sqlite:${join(dir, "s.db")}`);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a change made while a read is in flight is seen by the next request, and the stale read is not cached", async () => {
    await store.createCustomer("racer", { allowed_model_region: "us" });
    const held = withHeldReads(store);
    const svc = new CustomerService(
      held.store,
      { ttlMs: 60_000, endUserPolicy: "open", defaultRegion: undefined },
      new LocalBus(),
    );
    const early = svc.policyFor("racer"); // reads "us", held
    await new Promise((r) => setTimeout(r, 10));
    await svc.update("racer", { allowed_model_region: "eu" }); // tightened while the read is in flight
    const late = svc.policyFor("racer"); // must not join the stale read
    await new Promise((r) => setTimeout(r, 10));
    held.release();
    expect(allowedOf(await early)).toBe("us"); // it began before the change
    expect(allowedOf(await late)).toBe("eu");
    held.release();
    expect(allowedOf(await svc.policyFor("racer"))).toBe("eu");
    expect(allowedOf(svc.cached("racer", Date.now()))).toBe("eu");
  });

  it("bounds the cache: the oldest entries are evicted", async () => {
    const svc = new CustomerService(
      store,
      { ttlMs: 60_000, endUserPolicy: "open", defaultRegion: undefined, maxEntries: 3 },
      new LocalBus(),
    );
    for (const id of ["a", "b", "c", "d"]) await svc.policyFor(id);
    expect(svc.cached("a", Date.now())).toBeUndefined();
    expect(svc.cached("d", Date.now())).toMatchObject({ allowed: null, endUserId: "d" });
  });

  it("expires entries after the TTL, then reads the store again", async () => {
    await store.createCustomer("ttl", { allowed_model_region: "eu" });
    const svc = new CustomerService(
      store,
      // long enough that the cached read outlives a store write on a loaded machine
      { ttlMs: 500, endUserPolicy: "open", defaultRegion: undefined },
      new LocalBus(),
    );
    await svc.policyFor("ttl");
    await store.updateCustomer("ttl", { allowed_model_region: "us" }); // behind the service's back
    expect(allowedOf(await svc.policyFor("ttl"))).toBe("eu");
    await new Promise((r) => setTimeout(r, 550));
    expect(svc.cached("ttl", Date.now())).toBeUndefined();
    expect(allowedOf(await svc.policyFor("ttl"))).toBe("us");
  });
});

/** The one geography a customer policy allows (null: unrestricted). */
function allowedOf(p: unknown): string | null {
  const allowed = (p as RegionPolicy).allowed;
  return allowed === null ? null : [...allowed].join(",");
}
