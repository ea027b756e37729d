import { describe, expect, it } from "vitest";
import { sampleRecord } from "../../test/spend-fixtures.js";
import { GENESIS, link } from "./chain.js";
import { ResidencyTally } from "./residency.js";

const policy = (
  allowed: string[] | null,
  sources: Array<{ source: string; id: string; allowed: string[] }>,
) => JSON.stringify({ allowed, sources });

describe("ResidencyTally", () => {
  it("keeps requests without an end user apart by policy: unrestricted, key-pinned and team-pinned rows", () => {
    const head = { instance_id: "i", seq: 0, hash: GENESIS };
    const t = new ResidencyTally();
    const add = (over: Parameters<typeof sampleRecord>[0]) => t.add(link(head, sampleRecord(over)));
    add({ end_user: null, policy: policy(null, []), geography: "us", model_id: "us-1" });
    add({ end_user: null, policy: policy(null, []), geography: "eu", model_id: "eu-1" });
    const byKey = policy(["eu"], [{ source: "key", id: "ops", allowed: ["eu"] }]);
    add({ end_user: null, policy: byKey, geography: "eu", model_id: "eu-1" });
    add({ end_user: null, policy: byKey, geography: "us", model_id: "us-1" }); // out of its policy
    const r = t.report(undefined, undefined);
    const rows = r.customers.filter((c) => c.end_user === null);
    expect(rows).toEqual([
      expect.objectContaining({ allowed: null, restricted_by: [], requests: 2, violations: 0 }),
      expect.objectContaining({ allowed: ["eu"], restricted_by: ["key:ops"], requests: 2, violations: 1 }),
    ]);
    expect(r.violations).toHaveLength(1);
  });

  it("one row per named end user, with every restriction seen", () => {
    const head = { instance_id: "i", seq: 0, hash: GENESIS };
    const t = new ResidencyTally();
    const cust = { source: "customer", id: "acme", allowed: ["eu"] };
    t.add(link(head, sampleRecord({ end_user: "acme", policy: policy(["eu"], [cust]) })));
    const withKey = policy(["eu"], [cust, { source: "key", id: "k1", allowed: ["eu", "uk"] }]);
    t.add(link(head, sampleRecord({ end_user: "acme", policy: withKey })));
    const [row] = t.report(undefined, undefined).customers;
    expect(row).toMatchObject({ end_user: "acme", requests: 2, restricted_by: ["customer:acme", "key:k1"] });
  });

  it("leaves admin and report requests out: they reach no deployment", () => {
    const head = { instance_id: "i", seq: 0, hash: GENESIS };
    const t = new ResidencyTally();
    t.add(
      link(
        head,
        sampleRecord({ end_user: null, policy: policy(null, []), geography: "eu", model_id: "eu-1" }),
      ),
    );
    t.add(
      link(
        head,
        sampleRecord({
          call_type: "POST /key/generate",
          end_user: null,
          policy: policy(null, []),
          model_id: null,
          geography: null,
        }),
      ),
    );
    t.add(
      link(
        head,
        sampleRecord({
          call_type: "GET /spend/logs",
          end_user: null,
          policy: policy(null, []),
          model_id: null,
          geography: null,
          status: "failure",
        }),
      ),
    );
    const r = t.report(undefined, undefined);
    expect(r.requests).toBe(1);
    expect(r.customers).toEqual([
      expect.objectContaining({ requests: 1, refused_or_failed: 0, served_by_geography: { eu: 1 } }),
    ]);
  });
});
