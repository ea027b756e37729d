import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { PG_BASE } from "../../test/store-adapters.js";
import { openStore } from "./customers.js";

// A schema name in DATABASE_URL is used as written: `?schema=Team_A` is created quoted, so the
// search path must name it quoted too (unquoted, Postgres folds it to team_a, which does not exist,
// and the first migration failed with "no schema has been selected to create in").
const schema = `Meridian_Mixed_${randomBytes(4).toString("hex")}`;

afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_BASE });
  await c.connect();
  await c.query(`drop schema if exists "${schema}" cascade`);
  await c.end();
});

it("a schema name with capital letters holds the gateway's tables", async () => {
  const store = await openStore(`${PG_BASE}?schema=${schema}`);
  try {
    await store.createCustomer("cust-1", { allowed_model_region: "eu" });
    expect((await store.getCustomer("cust-1"))?.allowed_model_region).toBe("eu");
  } finally {
    await store.close();
  }
  const c = new pg.Client({ connectionString: PG_BASE });
  await c.connect();
  const r = await c.query(
    "select count(*)::int as n from information_schema.tables where table_schema = $1",
    [schema],
  );
  await c.end();
  expect(r.rows[0].n).toBeGreaterThan(5);
});
