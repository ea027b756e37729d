import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { bearer, CHAT_COST, CHAT_MESSAGES, LIMITS_YAML } from "../../test/limits-config.js";

/** Model allowlists, budgets and rate limits of virtual keys and teams, on one instance (SQLite). */

describe("limits stage", () => {
  let h: Harness;
  const hits = () => h.upstreams.eu.hits + h.upstreams.us.hits;
  const gen = async (body: Record<string, unknown>) => {
    const r = await post(`${h.url}/key/generate`, body, h.auth);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.key as string;
  };
  const chat = (key: string, body: Record<string, unknown> = {}) =>
    post(
      `${h.url}/chat/completions`,
      { model: "gpt-3.5-turbo", messages: CHAT_MESSAGES, ...body },
      bearer(key),
    );

  const explain = async (key: string) =>
    (
      await post(
        `${h.url}/route/explain`,
        { body: { model: "gpt-3.5-turbo", messages: CHAT_MESSAGES }, key },
        h.auth,
      )
    ).json.limits;
  /** Tokens are counted once an answer is written: wait (bounded) until the key's count has `atLeast`. */
  const tokensUsed = async (key: string, atLeast: number) => {
    let used = 0;
    await until(`${atLeast} tokens counted`, async () => {
      used = (await explain(key)).rates[0].tpm.used;
      return used >= atLeast;
    }).catch(() => undefined); // the caller's assertion on the count says what is wrong
    return used;
  };

  beforeAll(async () => {
    h = await startHarness({ yaml: LIMITS_YAML });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
  });

  it("key model allowlist: exact names, router aliases, wildcards, key aliases; refusals send nothing", async () => {
    const key = await gen({
      models: ["gpt-3.5-turbo", "text-embedding-*"],
      aliases: { mine: "gpt-3.5-turbo" },
    });
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key, { model: "small" })).status).toBe(200); // router alias of an allowed group
    expect((await chat(key, { model: "mine" })).status).toBe(200); // the key's own alias
    const emb = await post(
      `${h.url}/embeddings`,
      { model: "text-embedding-3-small", input: "x" },
      bearer(key),
    );
    expect(emb.status).toBe(200);
    expect(hits()).toBe(4);
    const denied = await chat(key, { model: "gpt-4o-mini" });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({ type: "key_model_access_denied", param: "model" });
    expect(hits()).toBe(4);
  });

  it("GET /v1/models lists what a key may call; a model it may not is refused by id", async () => {
    const key = await gen({ models: ["gpt-3.5-turbo", "text-embedding-*"] });
    const ids = async (auth: Record<string, string>) =>
      ((await get(`${h.url}/v1/models`, auth)).json.data as { id: string }[]).map((m) => m.id);
    const all = await ids(h.auth);
    expect(all).toEqual(expect.arrayContaining(["gpt-3.5-turbo", "gpt-4o-mini", "text-embedding-3-small"]));
    const mine = await ids(bearer(key));
    expect(mine).toEqual(expect.arrayContaining(["gpt-3.5-turbo", "text-embedding-3-small"]));
    expect(mine).not.toContain("gpt-4o-mini");
    expect((await get(`${h.url}/v1/models/gpt-3.5-turbo`, bearer(key))).status).toBe(200);
    const denied = await get(`${h.url}/v1/models/gpt-4o-mini`, bearer(key));
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({ code: "key_model_access_denied", param: "model" });
    // a team's allowlist applies to its keys without their own
    await post(`${h.url}/team/new`, { team_id: "t-list", models: ["gpt-4o-mini"] }, h.auth);
    expect(await ids(bearer(await gen({ team_id: "t-list" })))).toEqual(["gpt-4o-mini"]);
  });

  it("team model allowlist applies to a key without its own", async () => {
    await post(`${h.url}/team/new`, { team_id: "t-models", models: ["gpt-4o-mini"] }, h.auth);
    const key = await gen({ team_id: "t-models" });
    expect((await chat(key, { model: "gpt-4o-mini" })).status).toBe(200);
    const denied = await chat(key);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({
      type: "team_model_access_denied",
      code: "team_model_access_denied",
    });
    expect(hits()).toBe(1);
  });

  it("key budget: spend accumulates; at max_budget a 429 budget_exceeded with x-should-retry: false, nothing sent", async () => {
    const key = await gen({ max_budget: CHAT_COST * 2 - 0.001, key_alias: "budgeted" });
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(200);
    const over = await chat(key);
    expect(over.status).toBe(429);
    expect(over.headers.get("x-should-retry")).toBe("false");
    expect(over.json.error.type).toBe("budget_exceeded");
    expect(over.json.error.message).toMatch(
      /^Budget has been exceeded! Key=budgeted \(sk-\.\.\.[\w-]{4}\) Current cost: 0\.04/,
    );
    expect(hits()).toBe(2);
    // the spend reaches the store in the next flush
    await h.built.spendLog?.flush();
    await h.built.ledger.flush();
    const info = await (await fetch(`${h.url}/key/info?key=${key}`, { headers: h.auth })).json();
    expect(info.info.spend).toBeCloseTo(CHAT_COST * 2);
  });

  it("team budget stops every key of the team; user budget stops the user's keys", async () => {
    await post(`${h.url}/team/new`, { team_id: "t-budget", max_budget: CHAT_COST / 2 }, h.auth);
    const a = await gen({ team_id: "t-budget" });
    const b = await gen({ team_id: "t-budget" });
    expect((await chat(a)).status).toBe(200);
    const r = await chat(b);
    expect(r.status).toBe(429);
    expect(r.json.error.message).toContain("Team=t-budget");
    await post(
      `${h.url}/user/new`,
      { user_id: "u-budget", max_budget: CHAT_COST / 2, auto_create_key: false },
      h.auth,
    );
    const c = await gen({ user_id: "u-budget" });
    expect((await chat(c)).status).toBe(200);
    expect((await chat(c)).json.error.message).toContain("User=u-budget");
  });

  it("a customer's max_budget stops its requests whoever the caller (master key here)", async () => {
    await post(`${h.url}/end_user/new`, { user_id: "cust-budget", max_budget: CHAT_COST * 1.5 }, h.auth);
    const ask = () =>
      post(
        `${h.url}/chat/completions`,
        { model: "gpt-3.5-turbo", messages: CHAT_MESSAGES, user: "cust-budget" },
        h.auth,
      );
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    const r = await ask();
    expect(r.status).toBe(429);
    expect(r.json.error.message).toContain("Customer=cust-budget");
    expect(hits()).toBe(2);
    await h.built.spendLog?.flush();
    await h.built.ledger.flush();
    expect((await h.store.getCustomer("cust-budget"))?.spend).toBeCloseTo(CHAT_COST * 2);
  });

  it("rpm: 429 with retry-after and LiteLLM's x-ratelimit headers; success carries remaining counts", async () => {
    await awayFromMinuteEnd(); // the count is per wall-clock minute: all three requests in one
    const key = await gen({ rpm_limit: 2 });
    const first = await chat(key);
    expect(first.headers.get("x-ratelimit-api_key-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-api_key-remaining-requests")).toBe("1");
    expect((await chat(key)).status).toBe(200);
    const r = await chat(key);
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("rate_limit_exceeded");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.headers.get("x-ratelimit-api_key-remaining-requests")).toBe("0");
    expect(hits()).toBe(2);
  });

  it("tpm: a key over its tokens this minute is refused; a streamed answer's tokens count", async () => {
    await awayFromMinuteEnd(); // tokens are counted per wall-clock minute: all requests in one
    const key = await gen({ tpm_limit: 20 });
    const s = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-3.5-turbo", messages: CHAT_MESSAGES, stream: true },
      bearer(key),
    );
    expect(s.status).toBe(200);
    expect(s.text).toContain("data: [DONE]");
    // accounting runs once the stream is written, after the client has it: wait (bounded) for it
    const afterStream = await tokensUsed(key, 1);
    expect(afterStream).toBeGreaterThan(0);
    expect(afterStream).toBeLessThan(20);
    expect((await chat(key)).status).toBe(200); // 15 tokens so far: under 20
    expect(await tokensUsed(key, 20)).toBeGreaterThanOrEqual(20);
    const r = await chat(key);
    expect(r.status).toBe(429);
    expect(r.json.error.message).toContain("Limit type: tokens");
  });

  it("a streamed answer is charged to the budget", async () => {
    const key = await gen({ max_budget: CHAT_COST / 2 });
    const s = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-3.5-turbo", messages: CHAT_MESSAGES, stream: true },
      bearer(key),
    );
    expect(s.status).toBe(200);
    // the stream is charged once it is written, after the client has it: wait (bounded) for that
    await until("the stream's cost to be charged", async () =>
      (await explain(key)).budgets.some(
        (b: { scope: string; exceeded: boolean }) => b.scope === "api_key" && b.exceeded,
      ),
    );
    const r = await chat(key);
    expect(r.status).toBe(429);
    expect(r.json.error.type).toBe("budget_exceeded");
  });

  it("max_parallel_requests: a second request while the first is in flight is refused", async () => {
    const key = await gen({ max_parallel_requests: 1 });
    h.upstreams.eu.always = { delayMs: 1_000 };
    h.upstreams.us.always = { delayMs: 1_000 };
    const slow = chat(key);
    // admitted once it is upstream: from then on it holds its slot for the upstream's 1 s
    await until("the first request to reach the upstream", () => hits() === 1);
    const second = await chat(key);
    expect(second.status).toBe(429);
    expect(second.json.error.message).toContain("Limit type: parallel");
    expect((await slow).status).toBe(200);
    h.upstreams.eu.always = {};
    h.upstreams.us.always = {};
    expect((await chat(key)).status).toBe(200); // the slot came back
  });

  it("budget_duration: a due budget is reset by the job, and the key serves again", async () => {
    const key = await gen({ max_budget: CHAT_COST / 2, budget_duration: "1h" });
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(429);
    await h.built.spendLog?.flush();
    await h.built.ledger.flush();
    const later = new Date(Date.now() + 2 * 3_600_000);
    expect(await h.built.resets.run(later)).toBeGreaterThanOrEqual(1);
    expect((await chat(key)).status).toBe(200);
  });
});

/** Up to 5 s, in small steps, for something the gateway does after its answer has been sent. */
async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 5_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** rpm / tpm windows are wall-clock minutes: start a test with at least 10 s of the minute left. */
async function awayFromMinuteEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
}
