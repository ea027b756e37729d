import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH } from "./end-users.js";

const PG_BASE = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const YAML = "model_list: []\ngeneral_settings:\n  master_key: sk-1234\n";

const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

for (const kind of ["sqlite", "postgres"] as const) {
  describe(`admin input the ${kind} store cannot hold is 400 naming the field`, () => {
    let h: Harness;
    const schema = `meridian_test_${randomBytes(6).toString("hex")}`;
    beforeAll(async () => {
      h = await startHarness({
        yaml: YAML,
        upstreams: [],
        databaseUrl: kind === "postgres" ? `${PG_BASE}?schema=${schema}` : undefined,
      });
    });
    afterAll(async () => {
      // nothing refused was stored, and the store stayed healthy throughout
      const list = await get(`${h.url}/end_user/list`, h.auth);
      expect(list.json.map((c: { user_id: string }) => c.user_id).sort()).toEqual(["ok-deep", "ok-plain"]);
      expect((await get(`${h.url}/health/readiness`)).status).toBe(200);
      await h.close();
      if (kind === "postgres") {
        const c = new pg.Client({ connectionString: PG_BASE });
        await c.connect();
        await c.query(`drop schema if exists "${schema}" cascade`);
        await c.end();
      }
    });

    const expect400 = (
      r: Awaited<ReturnType<typeof post>>,
      param: string | null,
      code = "invalid_request",
    ) => {
      expect(r.status, r.text).toBe(400);
      expect(r.headers.get("retry-after")).toBeNull();
      expect(r.json.error).toMatchObject({ code, param, type: "invalid_request_error" });
      if (param) expect(r.json.error.message).toContain(param.split(".")[0]);
    };

    for (const [name, id] of [
      ["NUL", "a\u0000b"],
      ["a newline", "a\nb"],
      ["an escape", "a\u001bb"],
      ["DEL", "a\u007fb"],
      ["an unpaired surrogate", "a\ud800b"],
    ]) {
      it(`a user id with ${name} is refused on every route`, async () => {
        expect400(await post(`${h.url}/end_user/new`, { user_id: id }, h.auth), "user_id");
        expect400(await post(`${h.url}/customer/update`, { user_id: id, blocked: true }, h.auth), "user_id");
        expect400(await post(`${h.url}/end_user/delete`, { user_ids: ["x", id] }, h.auth), "user_ids.1");
        expect400(await post(`${h.url}/end_user/block`, { user_ids: [id] }, h.auth), "user_ids.0");
        // a query string cannot carry an unpaired surrogate (its UTF-8 decodes to U+FFFD)
        if (/[\ud800-\udfff]/.test(id)) return;
        const info = await get(`${h.url}/end_user/info?end_user_id=${encodeURIComponent(id)}`, h.auth);
        expect(info.status, info.text).toBe(400);
        expect(info.json.error.param).toBe("end_user_id");
      });
    }

    for (const field of ["alias", "default_model", "budget_id"]) {
      it(`a NUL in ${field} is refused`, async () => {
        expect400(
          await post(`${h.url}/end_user/new`, { user_id: "u-nul", [field]: "x\u0000y" }, h.auth),
          field,
        );
      });
    }

    it(`metadata nested deeper than ${MAX_METADATA_DEPTH} levels is refused, even 20,000 deep`, async () => {
      for (const levels of [MAX_METADATA_DEPTH + 1, 5_000, 20_000]) {
        const body = `{"user_id":"deep-${levels}","metadata":${nested(levels)}}`;
        // Beyond the body parser's own nesting limit (400) the parse refuses it first.
        const param = levels > 400 ? null : "metadata";
        const code = levels > 400 ? "nesting_too_deep" : "invalid_request";
        expect400(await post(`${h.url}/end_user/new`, body, h.auth), param, code);
        expect400(
          await post(`${h.url}/end_user/update`, body.replace(`deep-${levels}`, "ok-plain"), h.auth),
          param,
          code,
        );
      }
    });

    it("metadata larger than the limit is refused", async () => {
      const metadata = { blob: "x".repeat(MAX_METADATA_BYTES) };
      expect400(await post(`${h.url}/end_user/new`, { user_id: "big", metadata }, h.auth), "metadata");
    });

    it("ordinary ids and metadata within the limits are stored (a NUL inside metadata is escaped JSON)", async () => {
      const ok = await post(`${h.url}/end_user/new`, { user_id: "ok-plain", alias: "line\nbreak" }, h.auth);
      expect(ok.status, ok.text).toBe(200);
      const body = `{"user_id":"ok-deep","metadata":${nested(MAX_METADATA_DEPTH - 1).replace("1}", '"n\\u0000ul"}')}}`;
      const deep = await post(`${h.url}/end_user/new`, body, h.auth);
      expect(deep.status, deep.text).toBe(200);
      const back = await get(`${h.url}/end_user/info?end_user_id=ok-deep`, h.auth);
      expect(JSON.stringify(back.json.metadata)).toBe(JSON.stringify(JSON.parse(body).metadata));
    });
  });
}
