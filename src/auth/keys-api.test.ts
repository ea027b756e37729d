import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLogger } from "../../test/capture-log.js";
import { get, type Harness, post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { postgresAdapter, sqliteAdapter } from "../../test/store-adapters.js";

const chatBody = { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] };
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** Key lifecycle through the HTTP API, on SQLite and Postgres. */
for (const make of [sqliteAdapter, postgresAdapter]) {
  const adapter = make();
  describe(`virtual keys over HTTP: ${adapter.name}`, () => {
    let h: Harness;
    let url: string;
    const log = captureLogger();
    const plaintexts: string[] = [];
    const gen = async (body: Record<string, unknown> = {}) => {
      const r = await post(`${h.url}/key/generate`, body, h.auth);
      if (r.json?.key) plaintexts.push(r.json.key);
      return r;
    };

    beforeAll(async () => {
      url = adapter.fresh();
      h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV, databaseUrl: url, logger: log.logger });
    });
    afterAll(async () => {
      await h.close();
      await adapter.cleanup();
    });

    it("generates sk- keys shown once, stored as sha256, usable at once", async () => {
      const r = await gen({ key_alias: "first", metadata: { app: "x" } });
      expect(r.status).toBe(200);
      const key: string = r.json.key;
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{20,}$/);
      expect(r.json).toMatchObject({
        token: sha(key),
        key_name: `sk-...${key.slice(-4)}`,
        key_alias: "first",
        models: [],
        spend: 0,
        max_budget: null,
        expires: null,
        metadata: { app: "x" },
        blocked: false,
      });
      const c = await post(`${h.url}/chat/completions`, chatBody, bearer(key));
      expect(c.status).toBe(200);
      // the key reads only its own info, and no admin route
      const own = await get(`${h.url}/key/info`, bearer(key));
      expect(own.status).toBe(200);
      expect(own.json.info).toMatchObject({ token: sha(key), key_alias: "first" });
      expect(JSON.stringify(own.json)).not.toContain(key);
      const other = await gen();
      expect((await get(`${h.url}/key/info?key=${other.json.key}`, bearer(key))).status).toBe(403);
      const admin = await post(`${h.url}/key/generate`, {}, bearer(key));
      expect(admin.status).toBe(403);
      expect(admin.json.error.code).toBe("admin_key_required");
      expect((await get(`${h.url}/key/list`, bearer(key))).status).toBe(403);
      expect((await post(`${h.url}/end_user/new`, { user_id: "x" }, bearer(key))).status).toBe(403);
    });

    it("a wrong key is 401; block / unblock / delete are obeyed on the next request", async () => {
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer("sk-nope-nope-nope"))).status).toBe(
        401,
      );
      const key = (await gen()).json.key;
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(200);
      expect((await post(`${h.url}/key/block`, { key }, h.auth)).json.blocked).toBe(true);
      const blocked = await post(`${h.url}/chat/completions`, chatBody, bearer(key));
      expect(blocked.status).toBe(401);
      expect(blocked.json.error).toMatchObject({
        type: "auth_error",
        code: "key_blocked",
        message: "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
      });
      await post(`${h.url}/key/unblock`, { key: sha(key) }, h.auth);
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(200);
      const del = await post(`${h.url}/key/delete`, { keys: [key] }, h.auth);
      expect(del.json).toEqual({ deleted_keys: [key] });
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(401);
      expect((await post(`${h.url}/key/delete`, { keys: [key] }, h.auth)).status).toBe(404);
    });

    it("an expired key is 401 expired_key", async () => {
      const key = (await gen({ duration: "1s" })).json.key;
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer(key))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_100));
      const r = await post(`${h.url}/chat/completions`, chatBody, bearer(key));
      expect(r.status).toBe(401);
      expect(r.json.error.type).toBe("expired_key");
      expect(r.json.error.message).toMatch(/^Authentication Error - Expired Key\. Key Expiry time /);
    });

    it("regenerate: the old key stops, the new one works, same alias and settings", async () => {
      const old = (await gen({ key_alias: "regen", rpm_limit: 50 })).json.key;
      const r = await post(`${h.url}/key/regenerate`, { key: old }, h.auth);
      expect(r.status).toBe(200);
      plaintexts.push(r.json.key);
      expect(r.json).toMatchObject({ key_alias: "regen", rpm_limit: 50, token: sha(r.json.key) });
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer(old))).status).toBe(401);
      expect((await post(`${h.url}/chat/completions`, chatBody, bearer(r.json.key))).status).toBe(200);
    });

    it("update changes fields (metadata replaces); list pages with totals", async () => {
      const key = (await gen({ key_alias: "upd", metadata: { a: 1 } })).json.key;
      const u = await post(`${h.url}/key/update`, { key, metadata: { b: 2 }, max_budget: 5 }, h.auth);
      expect(u.status).toBe(200);
      expect(u.json).toMatchObject({ metadata: { b: 2 }, max_budget: 5, key_alias: "upd" });
      const l = await get(`${h.url}/key/list?page=1&size=2`, h.auth);
      expect(l.json).toMatchObject({ current_page: 1 });
      expect(l.json.keys).toHaveLength(2);
      expect(l.json.total_pages).toBe(Math.ceil(l.json.total_count / 2));
      expect(typeof l.json.keys[0]).toBe("string");
      const full = await get(`${h.url}/key/list?key_alias=upd&return_full_object=true`, h.auth);
      expect(full.json.keys[0]).toMatchObject({ key_alias: "upd", token: sha(key) });
    });

    it("bad input: each a 400 naming the field; a failed generate leaves no row", async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ max_budget: -1 }, "max_budget"],
        [{ max_budget: "10" }, "max_budget"],
        [{ duration: "30x" }, "duration"],
        [{ budget_duration: "1y" }, "budget_duration"],
        [{ allowed_model_region: "mars" }, "allowed_model_region"],
        [{ team_id: "no-such-team" }, "team_id"],
        [{ key_alias: "first" }, "key_alias"],
        [{ rpm_limit: 1.5 }, "rpm_limit"],
        [{ tpm_limit: 2 ** 53 }, "tpm_limit"],
        [{ max_parallel_requests: 1e300 }, "max_parallel_requests"],
        [{ models: "gpt-4o" }, "models"],
        [{ key: "not-sk-prefixed-key" }, "key"],
      ];
      const before = (await get(`${h.url}/key/list`, h.auth)).json.total_count;
      for (const [body, param] of cases) {
        const r = await post(`${h.url}/key/generate`, body, h.auth);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.json.error.param, JSON.stringify(body)).toBe(param);
      }
      expect((await get(`${h.url}/key/list`, h.auth)).json.total_count).toBe(before);
      const unknown = await post(`${h.url}/key/generate`, { tags: ["a"], soft_budget: 1 }, h.auth);
      expect(unknown.status).toBe(200);
      plaintexts.push(unknown.json.key);
      expect(unknown.headers.get("x-meridian-warning")).toBe("ignored unknown fields: tags, soft_budget");
    });

    it("large limits, as LiteLLM stores them (BigInt), are kept exactly", async () => {
      const big = { tpm_limit: 1e12, rpm_limit: 2 ** 40, max_parallel_requests: 3e9 };
      const r = await gen({ key_alias: "big-limits", ...big });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect((await get(`${h.url}/key/info?key=${r.json.key}`, h.auth)).json.info).toMatchObject(big);
      const t = await post(`${h.url}/team/new`, { team_id: "t-big", ...big }, h.auth);
      expect(t.status, JSON.stringify(t.json)).toBe(200);
      expect(t.json).toMatchObject(big);
    });

    it("a key under a team cannot get more than the team; users own keys", async () => {
      const t = await post(
        `${h.url}/team/new`,
        {
          team_id: "t-cap",
          models: ["gpt-3.5-turbo"],
          max_budget: 10,
          rpm_limit: 100,
          allowed_model_region: "eu",
        },
        h.auth,
      );
      expect(t.status).toBe(200);
      const over: Array<[Record<string, unknown>, string]> = [
        [{ models: ["gpt-4o-us-only"] }, "models"],
        [{ max_budget: 11 }, "max_budget"],
        [{ rpm_limit: 101 }, "rpm_limit"],
        [{ allowed_model_region: "us" }, "allowed_model_region"],
      ];
      for (const [body, param] of over) {
        const r = await post(`${h.url}/key/generate`, { team_id: "t-cap", ...body }, h.auth);
        expect(r.status).toBe(400);
        expect(r.json.error).toMatchObject({ code: "key_exceeds_team", param });
      }
      const ok = await gen({ team_id: "t-cap", max_budget: 10, user_id: "owner-1" });
      expect(ok.status).toBe(200);
      const info = await get(`${h.url}/user/info?user_id=owner-1`, h.auth);
      expect(info.status).toBe(200);
      expect(info.json.keys.map((k: { token: string }) => k.token)).toEqual([sha(ok.json.key)]);
      const team = await get(`${h.url}/team/info?team_id=t-cap`, h.auth);
      expect(team.json.keys).toHaveLength(1);
    });

    it("never stores or logs a plaintext key", async () => {
      expect(plaintexts.length).toBeGreaterThan(5);
      const logged = log.text();
      expect(logged).toContain("auth failed"); // the log is really captured
      for (const k of plaintexts) expect(logged).not.toContain(k);
      if (adapter.name === "sqlite") {
        const dir = dirname(url.replace(/^sqlite:/, ""));
        const files = readdirSync(dir).map((f) => readFileSync(`${dir}/${f}`));
        const tokens = files.some((b) => b.includes(sha(plaintexts[0])));
        expect(tokens).toBe(true); // the hashes are there, so the search reads the real bytes
        for (const k of plaintexts) for (const b of files) expect(b.includes(k)).toBe(false);
      } else {
        const rows = await h.store.access.listKeys({ limit: 1000, offset: 0 });
        const dump = JSON.stringify(rows);
        for (const k of plaintexts) expect(dump).not.toContain(k);
      }
    });
  });
}
