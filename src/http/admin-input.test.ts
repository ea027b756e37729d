import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { postgresAdapter, sqliteAdapter } from "../../test/store-adapters.js";

/**
 * Admin input one database cannot take as given gets the same 400 on SQLite and Postgres, naming
 * the parameter (before, Postgres answered 503 store_unavailable and SQLite 404 or 200; a repeated
 * query parameter was a 500 or 503 on both), and a conflict is a 400 that says what collided.
 */
const adapters = [sqliteAdapter(), postgresAdapter()];
afterAll(async () => {
  for (const a of adapters) await a.cleanup();
});

describe.each(adapters)("admin input on $name", (adapter) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV, databaseUrl: adapter.fresh() });
  });
  afterAll(async () => h.close());

  const refused = async (
    r: Promise<{ status: number; json: { error: Record<string, unknown> } }>,
    param: string,
    code = "invalid_request",
  ) => {
    const res = await r;
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(res.json.error).toMatchObject({ param, code, type: "invalid_request_error" });
    return res.json.error.message as string;
  };

  it("a query parameter given twice is refused by name", async () => {
    expect(await refused(get(`${h.url}/key/info?key=a&key=b`, h.auth), "key")).toMatch(/give it once/);
    await refused(get(`${h.url}/key/list?user_id=a&user_id=b`, h.auth), "user_id");
    await refused(get(`${h.url}/team/list?user_id=a&user_id=b`, h.auth), "user_id");
    await refused(get(`${h.url}/key/list?key_alias=a&key_alias=b`, h.auth), "key_alias");
  });

  it("a NUL in a query, path or body value is refused by name", async () => {
    await refused(get(`${h.url}/key/info?key=%00`, h.auth), "key");
    await refused(get(`${h.url}/key/list?key_alias=%00`, h.auth), "key_alias");
    await refused(get(`${h.url}/spend/logs?user_id=%00`, h.auth), "user_id");
    await refused(get(`${h.url}/spend/logs?end_user=x%00`, h.auth), "end_user");
    await refused(post(`${h.url}/key/delete`, { keys: ["ok", "\u0000"] }, h.auth), "keys.1");
    await refused(post(`${h.url}/key/block`, { key: "\u0000" }, h.auth), "key");
    await refused(post(`${h.url}/key/%00/regenerate`, {}, h.auth), "key");
    await refused(post(`${h.url}/key/delete`, { key_aliases: ["a\u0000"] }, h.auth), "key_aliases.0");
    // metadata is stored as JSON text, where a NUL is an escape: kept as sent
    const meta = { a: { "b\u0000": "c\u0000" } };
    expect(
      (await post(`${h.url}/end_user/new`, { user_id: "meta-nul", metadata: meta }, h.auth)).status,
    ).toBe(200);
    expect((await get(`${h.url}/end_user/info?end_user_id=meta-nul`, h.auth)).json.metadata).toEqual(meta);
    // the gateway still answers normally afterwards
    expect((await get(`${h.url}/key/list`, h.auth)).status).toBe(200);
  });

  it("a chosen key that exists already is 400 key_exists, on generate and on regenerate", async () => {
    const a = await post(`${h.url}/key/generate`, { key: "sk-chosen-key-one-1" }, h.auth);
    expect(a.status).toBe(200);
    const b = await post(`${h.url}/key/generate`, { key: "sk-chosen-key-two-2" }, h.auth);
    expect(b.status).toBe(200);
    const again = await refused(
      post(`${h.url}/key/generate`, { key: "sk-chosen-key-one-1" }, h.auth),
      "key",
      "key_exists",
    );
    expect(again).not.toContain("sk-chosen-key-one-1");
    await refused(
      post(`${h.url}/key/regenerate`, { key: "sk-chosen-key-two-2", new_key: "sk-chosen-key-one-1" }, h.auth),
      "new_key",
      "key_exists",
    );
    // both keys still work as they were
    for (const key of ["sk-chosen-key-one-1", "sk-chosen-key-two-2"])
      expect((await get(`${h.url}/key/info?key=${key}`, h.auth)).status).toBe(200);
  });

  it('a top-level metadata key "__proto__" is refused, not silently dropped', async () => {
    const raw = '{"user_id":"proto-1","metadata":{"__proto__":{"tier":"gold"},"a":1}}';
    const r = await fetch(`${h.url}/end_user/new`, {
      method: "POST",
      headers: { ...h.auth, "content-type": "application/json" },
      body: raw,
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe("metadata");
  });

  it("an end date in the year 9999 means no upper bound", async () => {
    const chat = { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] };
    expect((await post(`${h.url}/v1/chat/completions`, chat, h.auth)).status).toBe(200);
    await h.built.spendLog?.flush();
    const all = await get(`${h.url}/spend/logs?start_date=2020-01-01&end_date=9999-12-31`, h.auth);
    expect(all.status).toBe(200);
    expect(all.json.length).toBeGreaterThan(0);
    const report = await get(`${h.url}/audit/residency?to=9999-12-31`, h.auth);
    expect(report.json.requests).toBeGreaterThan(0);
  });
});
