import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  get,
  type Harness,
  MASTER_KEY,
  post,
  SEED_ENV,
  SEED_YAML,
  startHarness,
} from "../../test/harness.js";
import { sampleRecord } from "../../test/spend-fixtures.js";
import { runAudit } from "../cli/audit.js";
import { link } from "./chain.js";

/**
 * The spend log end to end on the seed config: every request (served, streamed, refused) leaves one
 * record saying where it went and why it was allowed there; the reports read them; the chain
 * catches edits, deletions and insertions.
 */
let h: Harness;
const chat = (user: string, extra: Record<string, unknown> = {}) =>
  post(
    `${h.url}/v1/chat/completions`,
    { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }], user, ...extra },
    h.auth,
  );
// biome-ignore lint/suspicious/noExplicitAny: records are read as JSON
const logs = async (qs = ""): Promise<any> => (await get(`${h.url}/spend/logs${qs}`, h.auth)).json;
const dbFile = () => h.store.where;

beforeAll(async () => {
  h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  await h.store.createCustomer("cust-eu", { allowed_model_region: "eu" });
  await h.store.createCustomer("cust-blocked", { blocked: true });
});
afterAll(async () => h.close());

describe("one record per request", () => {
  it("records a served request with its geography, policy sources, attempts, tokens and cost", async () => {
    const r = await chat("cust-eu");
    expect(r.status).toBe(200);
    const callId = r.headers.get("x-litellm-call-id");
    await h.built.spendLog?.flush();
    const [rec] = await logs(`?request_id=${callId}`);
    expect(rec).toMatchObject({
      request_id: callId,
      call_type: "chat",
      model: "gpt-3.5-turbo",
      model_group: "gpt-3.5-turbo",
      custom_llm_provider: "azure",
      end_user: "cust-eu",
      geography: "eu",
      region_name: "eu",
      region_source: "region_name",
      status: "success",
      http_status: 200,
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      messages: null,
      response: null,
      policy: { allowed: ["eu"], sources: [{ source: "customer", id: "cust-eu", allowed: ["eu"] }] },
    });
    expect(rec.attempts).toHaveLength(1);
    expect(rec.attempts[0]).toMatchObject({ geography: "eu", status: 200 });
    // gpt-35-turbo is in the built-in price table: $0.5 / $1.5 per million tokens
    expect(rec.spend).toBeCloseTo(10 * 0.5e-6 + 5 * 1.5e-6, 12);
    expect(Number(r.headers.get("x-litellm-response-cost"))).toBeCloseTo(rec.spend, 12);
    expect(Date.parse(rec.endTime)).toBeGreaterThanOrEqual(Date.parse(rec.startTime));
    expect(rec.chain.seq).toBeGreaterThan(0);
  });

  it("records a stream with its usage, cost and first-chunk time", async () => {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...h.auth },
      body: JSON.stringify({
        model: "gpt-3.5-turbo",
        messages: [{ role: "user", content: "hi" }],
        user: "cust-eu",
        stream: true,
      }),
    });
    const callId = res.headers.get("x-litellm-call-id");
    await res.text();
    await new Promise((r) => setTimeout(r, 50));
    await h.built.spendLog?.flush();
    const [rec] = await logs(`?request_id=${callId}`);
    expect(rec).toMatchObject({ stream: "completed", geography: "eu", status: "success" });
    expect(rec.total_tokens).toBeGreaterThan(0);
    expect(rec.spend).toBeGreaterThan(0);
    expect(rec.completionStartTime).not.toBeNull();
  });

  it("records refusals: blocked customer, unknown model, no deployment in region", async () => {
    const blocked = await chat("cust-blocked");
    const unknown = await post(
      `${h.url}/v1/chat/completions`,
      { model: "nope", messages: [{ role: "user", content: "x" }] },
      h.auth,
    );
    const noRegion = await post(
      `${h.url}/v1/chat/completions`,
      { model: "gpt-4o-us-only", messages: [{ role: "user", content: "x" }], user: "cust-eu" },
      h.auth,
    );
    expect([blocked.status, unknown.status, noRegion.status]).toEqual([403, 400, 403]);
    await h.built.spendLog?.flush();
    const codes = [];
    for (const r of [blocked, unknown, noRegion]) {
      const [rec] = await logs(`?request_id=${r.headers.get("x-litellm-call-id")}`);
      expect(rec).toMatchObject({ status: "failure", model_id: null, geography: null, spend: 0 });
      codes.push([rec.error_code, rec.http_status]);
    }
    expect(codes).toEqual([
      ["customer_blocked", 403],
      ["invalid_model", 400],
      ["no_deployment_in_region", 403],
    ]);
  });
});

describe("refusals before the pipeline", () => {
  it("a wrong key, a wrong method, unreadable JSON and an oversized body each get a call id and a record", async () => {
    const url = `${h.url}/v1/chat/completions`;
    const wrongKey = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-wrong" },
      body: "{}",
    });
    const wrongMethod = await fetch(url, { method: "PUT", headers: h.auth, body: "{}" });
    const badJson = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...h.auth },
      body: '{"model": ',
    });
    // a declared length over the limit is refused before any byte of the body is read
    const tooLarge = await new Promise<{ status: number; callId: string | undefined }>((resolve, reject) => {
      const req = httpRequest(url, {
        method: "POST",
        headers: { ...h.auth, "content-type": "application/json", "content-length": String(2 ** 40) },
      });
      req.on("response", (res) => {
        res.resume();
        resolve({
          status: res.statusCode ?? 0,
          callId: res.headers["x-litellm-call-id"] as string | undefined,
        });
      });
      req.on("error", reject);
      req.write("{");
    });
    const answers = [
      [wrongKey.status, wrongKey.headers.get("x-litellm-call-id")],
      [wrongMethod.status, wrongMethod.headers.get("x-litellm-call-id")],
      [badJson.status, badJson.headers.get("x-litellm-call-id")],
      [tooLarge.status, tooLarge.callId],
    ] as const;
    expect(answers.map(([status]) => status)).toEqual([401, 405, 400, 413]);
    await h.built.spendLog?.flush();
    const recs = [];
    for (const [, callId] of answers) {
      expect(callId).toMatch(/^[0-9a-f-]{36}$/);
      const [rec] = await logs(`?request_id=${callId}`);
      recs.push([rec.http_status, rec.error_code, rec.status, rec.call_type, rec.geography]);
    }
    expect(recs).toEqual([
      [401, "invalid_api_key", "failure", "chat", null],
      [405, "method_not_allowed", "failure", "chat", null],
      [400, "invalid_json", "failure", "chat", null],
      [413, "body_too_large", "failure", "chat", null],
    ]);
  });
});

describe("GET /spend/logs", () => {
  it("filters by customer, geography and status, pages, and exports CSV", async () => {
    for (let i = 0; i < 3; i++) await chat("cust-eu");
    await chat("someone-else");
    await h.built.spendLog?.flush();
    const eu = await logs("?end_user=cust-eu&status=success");
    expect(eu.length).toBeGreaterThanOrEqual(4);
    expect(
      eu.every(
        (r: { end_user: string; geography: string }) => r.end_user === "cust-eu" && r.geography === "eu",
      ),
    ).toBe(true);
    const page = await logs("?end_user=cust-eu&status=success&page=1&page_size=2");
    expect(page).toMatchObject({ page: 1, page_size: 2, total: eu.length });
    expect(page.data).toHaveLength(2);
    const page2 = await logs("?end_user=cust-eu&status=success&page=2&page_size=2");
    expect(page2.data[0].request_id).not.toBe(page.data[0].request_id);
    const csv = await get(`${h.url}/spend/logs?end_user=cust-eu&status=success&format=csv`, h.auth);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0].split(",")).toContain("geography");
    expect(lines.length).toBe(eu.length + 1);
    const accept = await get(`${h.url}/spend/logs?end_user=cust-eu&status=success`, {
      ...h.auth,
      accept: "text/csv",
    });
    expect(accept.text).toBe(csv.text);
  });

  it("answers 400 naming the parameter for bad filters and dates", async () => {
    for (const [qs, param] of [
      ["start_date=2026-13-01", "start_date"],
      ["end_date=yesterday", "end_date"],
      ["start_date=2026-02-31", "start_date"],
      ["geography=mars", "geography"],
      ["status=maybe", "status"],
      ["page=0", "page"],
      ["page_size=5000", "page_size"],
      ["start_date=2026-12-02&end_date=2026-12-01", "end_date"],
      ["format=xml", "format"],
    ]) {
      const r = await get(`${h.url}/spend/logs?${qs}`, h.auth);
      expect(r.status, qs).toBe(400);
      expect(r.json.error.param, qs).toBe(param);
      expect(r.json.error.message, qs).toContain(param);
    }
  });

  it("is admin only", async () => {
    expect((await get(`${h.url}/spend/logs`)).status).toBe(401);
    expect((await get(`${h.url}/spend/logs`, { authorization: "Bearer sk-wrong" })).status).toBe(401);
    expect((await get(`${h.url}/spend/logs`, { authorization: `Bearer ${MASTER_KEY}` })).status).toBe(200);
  });
});

describe("GET /audit/residency", () => {
  it("counts requests by serving geography per customer and finds an inserted violation", async () => {
    await chat("cust-eu");
    await h.built.spendLog?.flush();
    const clean = (await get(`${h.url}/audit/residency`, h.auth)).json;
    expect(clean.violations).toEqual([]);
    const c = clean.customers.find((x: { end_user: string }) => x.end_user === "cust-eu");
    expect(c.allowed).toEqual(["eu"]);
    expect(Object.keys(c.served_by_geography)).toEqual(["eu"]);
    // A record of an eu-pinned customer served in the us (what must never happen), written through
    // the store's own path so it is correctly chained: the report must list it.
    const head = await h.store.spend.registerChain("violation-test");
    const bad = link(
      head,
      sampleRecord({
        request_id: "bad-1",
        geography: "us",
        model_id: "us-1",
        start_time: new Date().toISOString(),
      }),
    );
    await h.store.spend.insert([bad]);
    const r = (await get(`${h.url}/audit/residency`, h.auth)).json;
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ request_id: "bad-1", geography: "us", end_user: "cust-eu" });
    const csv = await get(`${h.url}/audit/residency?format=csv`, h.auth);
    expect(csv.text).toMatch(/\r\nviolation,cust-eu,eu,us,1,bad-1,/);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const none = (await get(`${h.url}/audit/residency?from=2020-01-01&to=${yesterday}`, h.auth)).json;
    expect(none).toMatchObject({ requests: 0, violations: [] });
    expect((await get(`${h.url}/audit/residency?from=soon`, h.auth)).json.error.param).toBe("from");
  });
});

describe("tamper evidence", () => {
  it("verify passes on an intact log, then names edited, deleted and inserted records (API and CLI)", async () => {
    for (let i = 0; i < 5; i++) await chat("cust-eu");
    await h.built.spendLog?.flush();
    const ok = (await get(`${h.url}/audit/verify`, h.auth)).json;
    expect(ok.ok).toBe(true);
    const out: string[] = [];
    expect(
      await runAudit(
        ["verify", "--database_url", `sqlite:${dbFile()}`],
        {},
        (s) => out.push(s),
        () => {},
      ),
    ).toBe(0);
    expect(out.join("")).toMatch(/^OK: \d+ records/m);

    const id = h.built.spendLog?.instanceId as string;
    const { rows } = await h.store.spend.find({}, 1000, 0);
    const mine = rows.filter((r) => r.instance_id === id).sort((a, b) => a.seq - b.seq);
    const [edited, deleted] = [mine[2], mine[4]];
    // Tamper the way someone with database access would: plain SQL on the file.
    const { default: SQLite } = await import("better-sqlite3");
    const db = new SQLite(dbFile());
    db.prepare("update spend_logs set geography = 'eu', spend = 0 where instance_id = ? and seq = ?").run(
      id,
      edited.seq,
    );
    db.prepare("delete from spend_logs where instance_id = ? and seq = ?").run(id, deleted.seq);
    // a forged record appended after the chain's last one, and one in a chain nobody registered
    const last = mine[mine.length - 1];
    const forged = { ...last, request_id: "forged-1", seq: last.seq + 1, prev_hash: last.hash };
    const cols = Object.keys(forged);
    db.prepare(
      `insert into spend_logs (${cols.map((c) => `"${c}"`).join(",")}) values (${cols.map(() => "?").join(",")})`,
    ).run(...cols.map((c) => (forged as unknown as Record<string, unknown>)[c]));
    const ghost = { ...last, instance_id: "ghost-instance", seq: 1, request_id: "forged-2" };
    db.prepare(
      `insert into spend_logs (${cols.map((c) => `"${c}"`).join(",")}) values (${cols.map(() => "?").join(",")})`,
    ).run(...cols.map((c) => (ghost as unknown as Record<string, unknown>)[c]));
    db.close();

    const r = (await get(`${h.url}/audit/verify`, h.auth)).json;
    expect(r.ok).toBe(false);
    const named = r.problems.map((p: { kind: string; request_id?: string; seq: number }) => [
      p.kind,
      p.request_id ?? p.seq,
    ]);
    expect(named).toContainEqual(["edited", edited.request_id]);
    expect(named).toContainEqual(["missing", deleted.seq]);
    expect(named).toContainEqual(["inserted", "forged-1"]);
    expect(named).toContainEqual(["inserted", "forged-2"]);
    expect(r.problems).toHaveLength(4);
    const cli: string[] = [];
    const code = await runAudit(
      ["verify", "--database_url", `sqlite:${dbFile()}`],
      {},
      (s) => cli.push(s),
      () => {},
    );
    expect(code).toBe(1);
    const text = cli.join("");
    expect(text).toContain(`EDITED  chain ${id} seq ${edited.seq} call ${edited.request_id}`);
    expect(text).toContain(`MISSING  chain ${id} seq ${deleted.seq}`);
    expect(text).toContain("call forged-1");
    expect(text).toContain("call forged-2");
    expect(text).toMatch(/^FAILED: 4 problems/m);
  });
});

describe("store_prompts_in_spend_logs", () => {
  it("keeps the request body and the answer when opted in", async () => {
    const p = await startHarness({
      yaml: `${SEED_YAML}  store_prompts_in_spend_logs: true\n`,
      env: SEED_ENV,
    });
    try {
      const r = await post(
        `${p.url}/v1/chat/completions`,
        { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "secret words" }] },
        p.auth,
      );
      await p.built.spendLog?.flush();
      const [rec] = (
        await get(`${p.url}/spend/logs?request_id=${r.headers.get("x-litellm-call-id")}`, p.auth)
      ).json;
      expect(rec.messages.messages[0].content).toBe("secret words");
      expect(rec.response.choices[0].message.content).toBe(r.json.choices[0].message.content);

      // a stream: the answer as the client read it, put back together as one chat.completion
      const s = await fetch(`${p.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...p.auth },
        body: JSON.stringify({
          model: "gpt-3.5-turbo",
          messages: [{ role: "user", content: "streamed secret" }],
          stream: true,
        }),
      });
      const sse = await s.text();
      const said = sse
        .split("\n")
        .filter((l) => l.startsWith("data: {"))
        .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "")
        .join("");
      expect(said.length).toBeGreaterThan(0);
      await new Promise((res) => setTimeout(res, 50));
      await p.built.spendLog?.flush();
      const [srec] = (
        await get(`${p.url}/spend/logs?request_id=${s.headers.get("x-litellm-call-id")}`, p.auth)
      ).json;
      expect(srec.stream).toBe("completed");
      expect(srec.messages.messages[0].content).toBe("streamed secret");
      expect(srec.response).toMatchObject({ object: "chat.completion" });
      expect(srec.response.choices[0].message.content).toBe(said);
    } finally {
      await p.close();
    }
  });
});
