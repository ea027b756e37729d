import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../testkit.js";
import { runBadInputs } from "./bad-input-run.js";
import { type Cli, startCli } from "./cli.js";
import { pool, send } from "./client.js";
import { badInputs, CSRF_VICTIM, NON_ASCII_CUSTOMER } from "./corpus.js";
import {
  checkEnvelope,
  classify,
  crashes,
  describeViolations,
  outOfRegion,
  receivedBy,
  table,
  tally,
} from "./ledger.js";
import { admin, chatCall, fire, plan, scheduleFaults } from "./load.js";
import { makeRng, seedFromEnv } from "./rng.js";
import { sigtermUnderLoad } from "./sigterm.js";
import { CUSTOMERS, startWorld, type World } from "./world.js";

/**
 * The fault suite (npm run test:faults; also part of npm test): a real two-instance gateway on
 * Postgres and a private Redis, five fake upstreams, seeded faults. Each phase asserts the
 * invariants the hardening issue names; the run ends with one report table.
 */
const seed = seedFromEnv();
const rng = makeRng(seed);
const MOVER = "cust-move";
const COLD = "cust-cold-eu";
const PINNED = Object.keys(CUSTOMERS);
/** While Redis is down or hung, another instance's customer change applies within ~1 s (README). */
const DEGRADED_GRACE_MS = 3_000;

const report: Array<[string, string | number]> = [];
const row = (k: string, v: string | number) => report.push([k, v]);
const showTally = (t: Record<string, number>) =>
  Object.entries(t)
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");

function pinOf(customer: string, tags: string[]): string | null | undefined {
  if (customer === MOVER) return tags.includes("after") ? "us" : tags.includes("before") ? "eu" : null;
  if (customer === COLD || customer === NON_ASCII_CUSTOMER) return "eu";
  return CUSTOMERS[customer];
}

let w: World;
const settle = () => waitFor("cooldowns to expire", () => w.coolingNow().length === 0, 10_000);

beforeAll(async () => {
  console.log(`fault suite seed ${seed} (replay: FAULT_SEED=${seed} npm run test:faults)`);
  w = await startWorld();
  const [A] = w.urls;
  for (const [id, region] of Object.entries({
    ...CUSTOMERS,
    [MOVER]: "eu",
    [COLD]: "eu",
    [NON_ASCII_CUSTOMER]: "eu",
    [CSRF_VICTIM]: "eu",
  })) {
    const r = await admin(
      A,
      "/end_user/new",
      region ? { user_id: id, allowed_model_region: region } : { user_id: id },
    );
    expect(r.status, r.text).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  row("seed", seed);
  console.log(`\n${table("FAULT SUITE REPORT", report)}\n`);
  await w?.close();
}, 30_000);

describe("fault suite", () => {
  it("(1) randomized upstream faults under concurrent load: always in region, never a crash", async () => {
    w.phase = "upstream-faults";
    w.resetUpstreams();
    const planned = scheduleFaults(w.upstreams, rng, 120, 0.35);
    const outcomes = await fire(plan(rng, 400, w.urls, PINNED), 16);
    const t = tally(outcomes);
    const out = outOfRegion(w.received(), pinOf);
    row("(1) faults planned", showTally(planned));
    row("(1) requests", outcomes.length);
    row("(1) outcomes", showTally(t));
    row("(1) out of region", out.length);
    if (out.length) row("(1)   reached", describeViolations(out));
    row("(1) crashes", crashes(t));
    console.log("received per upstream and customer", receivedBy(w.received()));
    w.resetUpstreams();
    expect(out).toEqual([]);
    expect(Object.keys(t).filter((k) => k.startsWith("CRASH:"))).toEqual([]);
  }, 120_000);

  it("(1b) each broken 200 body is an upstream failure: the request falls over to the other eu deployment", async () => {
    w.phase = "broken-bodies";
    const results: string[] = [];
    for (const kind of ["truncated-json", "html", "empty", "json-for-stream", "malformed-sse"] as const)
      for (const stream of [false, true]) {
        // a JSON answer to a request that did not ask for a stream is simply correct
        if (kind === "json-for-stream" && !stream) continue;
        await settle();
        w.resetUpstreams();
        w.upstreams.eu1.always = { broken: kind };
        // simple-shuffle picks eu1 or eu2 by a coin: ask until eu1 has had the request (bounded: 8
        // tries missed it 1 time in 256 per case, 30 tries 1 in a billion)
        let outcome = "";
        let text = "";
        for (let i = 0; i < 30 && w.upstreams.eu1.hits === 0; i++) {
          const a = await send(w.urls[0], chatCall("cust-eu-1", stream));
          outcome = classify(a, stream);
          text = a.text;
        }
        const from = /Hello from (\w+)/.exec(text)?.[1];
        results.push(`${kind}${stream ? " (stream)" : ""}: ${outcome}${from ? ` from ${from}` : ""}`);
        expect(w.upstreams.eu1.hits, kind).toBeGreaterThan(0);
        expect(outOfRegion(w.received(), pinOf)).toEqual([]);
      }
    w.resetUpstreams();
    row("(1b) broken bodies", results.join("; "));
    for (const r of results) expect(r).toMatch(/: (ok|stream-ok) from eu2$/);
  }, 120_000);

  it("(2a) Redis killed, then restarted: every request served, in region", async () => {
    await settle();
    w.phase = "redis-killed";
    w.resetUpstreams();
    await w.redis.stop();
    await waitFor(
      "both instances to see Redis down",
      async () => {
        for (const u of w.urls)
          if ((await send(u, { path: "/health/readiness" })).text.includes('"redis":{"ok":true'))
            return false;
        return true;
      },
      10_000,
    );
    const during = await fire(plan(rng, 120, w.urls, PINNED), 12);
    await w.redis.start();
    await waitFor(
      "both instances to reconnect",
      async () => {
        for (const u of w.urls)
          if (!(await send(u, { path: "/health/readiness" })).text.includes('"redis":{"ok":true'))
            return false;
        return true;
      },
      15_000,
    );
    const after = await fire(plan(rng, 60, w.urls, PINNED), 12);
    const t = tally([...during, ...after]);
    const out = outOfRegion(w.received(), pinOf);
    row("(2a) requests", during.length + after.length);
    row("(2a) outcomes", showTally(t));
    row("(2a) out of region", out.length);
    if (out.length) row("(2a)   reached", describeViolations(out));
    w.resetUpstreams();
    expect(out).toEqual([]);
    expect(Object.keys(t).filter((k) => !["ok", "stream-ok"].includes(k))).toEqual([]);
  }, 60_000);

  it("(2b) Redis paused (SIGSTOP): serving goes on, and a region change on A is obeyed by B", async () => {
    await settle();
    w.phase = "redis-paused";
    w.resetUpstreams();
    const [A, B] = w.urls;
    for (const u of [A, B])
      expect(classify(await send(u, chatCall(MOVER, false, "before")), false)).toBe("ok");
    await w.redis.pause();
    let updated: Awaited<ReturnType<typeof admin>> | undefined;
    const [load] = await Promise.all([
      fire(plan(rng, 80, [B], PINNED), 8),
      (async () => {
        updated = await admin(A, "/end_user/update", { user_id: MOVER, allowed_model_region: "us" });
      })(),
    ]);
    await new Promise((r) => setTimeout(r, DEGRADED_GRACE_MS));
    const moved = await pool([A, B, A, B, A, B, A, B], 4, async (u) =>
      classify(await send(u, chatCall(MOVER, false, "after", 8_000)), false),
    );
    await w.redis.resume();
    await waitFor(
      "Redis to answer again",
      async () => {
        for (const u of w.urls)
          if (!(await send(u, { path: "/health/readiness" })).text.includes('"redis":{"ok":true'))
            return false;
        return true;
      },
      15_000,
    );
    const t = tally([...load, ...moved]);
    const out = outOfRegion(w.received(), pinOf);
    row("(2b) admin update while paused", updated?.error ?? String(updated?.status));
    row("(2b) requests", load.length + moved.length);
    row("(2b) outcomes", showTally(t));
    row("(2b) out of region (mover counted after the grace)", out.length);
    if (out.length) row("(2b)   reached", describeViolations(out));
    w.resetUpstreams();
    // 200, or 503 invalidation_unconfirmed: stored, with the bus not confirming (B must obey either way)
    const unconfirmed =
      updated?.status === 503 && (updated.text ?? "").includes('"invalidation_unconfirmed"');
    expect(updated?.status === 200 || unconfirmed, updated?.text ?? updated?.error).toBe(true);
    expect(out).toEqual([]);
    expect(crashes(t)).toBe(0);
  }, 90_000);

  it("(3) database cut: cached customers served in region, unknown ones 503 and never sent anywhere", async () => {
    await settle();
    w.phase = "db-cut";
    for (const u of w.urls) for (const c of PINNED) await send(u, chatCall(c, false, "warm"));
    w.resetUpstreams();
    await w.pg.cut();
    const cached = await fire(plan(rng, 80, w.urls, PINNED), 8);
    const cold = await pool([...w.urls, ...w.urls], 4, async (u) =>
      classify(await send(u, chatCall(COLD, false)), false),
    );
    const write = await admin(w.urls[0], "/end_user/update", {
      user_id: "cust-eu-1",
      allowed_model_region: "us",
    });
    const coldReached = w
      .received()
      .reduce((n, u) => n + u.requests.filter((r) => JSON.stringify(r.body).includes(COLD)).length, 0);
    await w.pg.restore();
    await waitFor(
      "readiness to recover",
      async () => {
        for (const u of w.urls)
          if ((await send(u, { path: "/health/readiness" })).status !== 200) return false;
        return true;
      },
      15_000,
    );
    const back = classify(await send(w.urls[1], chatCall(COLD, false)), false);
    const t = tally([...cached, ...cold, back]);
    const out = outOfRegion(w.received(), pinOf);
    row("(3) requests", cached.length + cold.length + 1);
    row("(3) outcomes", showTally(t));
    row("(3) unknown customer reached an upstream", coldReached);
    row("(3) out of region", out.length);
    if (out.length) row("(3)   reached", describeViolations(out));
    w.resetUpstreams();
    expect(out).toEqual([]);
    expect(coldReached).toBe(0);
    expect(new Set(cold)).toEqual(new Set(["503 policy_unavailable"]));
    expect(`${write.status} ${checkEnvelope(write.text).code}`).toBe("503 store_unavailable");
    expect(cached.filter((o) => o !== "ok" && o !== "stream-ok")).toEqual([]);
    expect(back).toBe("ok");
  }, 90_000);

  it("(4) SIGTERM under load: a normal answer or 503 shutting_down, no resets, exit 0", async () => {
    w.phase = "sigterm";
    w.resetUpstreams();
    let cli: Cli | undefined;
    try {
      cli = await startCli({ eu: w.upstreams.eu1.url, us: w.upstreams.us1.url });
      const c = cli;
      for (const [id, region] of [
        ["cust-eu-1", "eu"],
        ["cust-us-1", "us"],
      ])
        expect(
          (await admin(c.url, "/end_user/new", { user_id: id, allowed_model_region: region })).status,
        ).toBe(200);
      w.resetUpstreams();
      const fakes = [w.upstreams.eu1, w.upstreams.us1];
      for (const u of fakes) u.always = { delayMs: 150, chunkIntervalMs: 30 };
      const { outcomes, code } = await sigtermUnderLoad(c, fakes, ["cust-eu-1", "cust-us-1"], rng);
      const t = tally(outcomes);
      const out = outOfRegion(w.received(), pinOf);
      row("(4) requests", outcomes.length);
      row("(4) outcomes", showTally(t));
      row("(4) out of region", out.length);
      if (out.length) row("(4)   reached", describeViolations(out));
      row("(4) exit code", String(code));
      expect(out).toEqual([]);
      expect(
        Object.keys(t).filter(
          (k) => !["ok", "stream-ok", "503 shutting_down", "refused (listener closed)"].includes(k),
        ),
      ).toEqual([]);
      expect(code).toBe(0);
    } finally {
      cli?.dispose();
      w.resetUpstreams();
    }
  }, 90_000);

  it("(5) bad-input corpus: every answer a 4xx envelope with a code; no deployment cooled by it", async () => {
    await settle();
    w.phase = "bad-input";
    w.resetUpstreams();
    const A = w.urls[0];
    const answers = await runBadInputs(A, badInputs());
    // a client that gives up is a gateway-side event too: it must not cool the deployment
    for (const u of Object.values(w.upstreams)) u.always = { delayMs: 400 };
    const gaveUp = await pool(
      Array.from({ length: 12 }, (_, i) => i),
      6,
      async (i) => (await send(w.urls[i % 2], chatCall(rng.pick(PINNED), i % 3 === 0, "", 80))).error,
    );
    for (const u of Object.values(w.upstreams)) u.always = {};
    await new Promise((r) => setTimeout(r, 300));
    const cooled = w.cooldowns.filter((c) => c.phase === "bad-input");
    const out = outOfRegion(w.received(), pinOf);
    const bad = answers.filter((a) => !a.good);
    row("(5) bad inputs answered as 4xx envelopes", `${answers.length - bad.length}/${answers.length}`);
    for (const b of bad) row(`(5)   NOT a 4xx envelope: ${b.name}`, b.seen);
    row("(5) clients that gave up", gaveUp.filter((e) => e === "client_timeout").length);
    row("(5) cooldowns caused by gateway-side errors", cooled.length);
    row("(5) out of region", out.length);
    if (out.length) row("(5)   reached", describeViolations(out));
    expect(out).toEqual([]);
    expect(cooled).toEqual([]);
    expect(w.coolingNow()).toEqual([]);
    expect(bad).toEqual([]);
  }, 120_000);
});
