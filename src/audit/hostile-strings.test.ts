import { afterAll, describe, expect, it } from "vitest";
import { post, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { dropSchema, TEST_PG_URL, uniqueName } from "../../test/testkit.js";
import { verifySpendLog } from "./verify.js";

/**
 * A client chooses some of a record's text: the end user (`user`), the model it names. JSON lets
 * it send a NUL or half of a surrogate pair there, which neither database stores as sent (Postgres
 * refuses NUL in text; both turn a lone surrogate into U+FFFD). Such a request must still leave a
 * record, must not stop the records after it from being written, and must not make an intact chain
 * look edited.
 */
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

// each with the status a request naming it as its end user gets
const HOSTILE: Array<[string, number]> = [
  ["lone-\ud800-surrogate", 400],
  ["\udc00", 400],
  ["ok-\ud83d\ude00-pair", 200],
];

describe.each([
  ["SQLite", () => undefined],
  [
    "Postgres",
    () => {
      const s = uniqueName("meridian_hostile");
      schemas.push(s);
      return `${TEST_PG_URL}?schema=${s}`;
    },
  ],
])("hostile strings on %s", (_name, databaseUrl) => {
  it("are recorded, block nothing after them and verify intact", async () => {
    const h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV, databaseUrl: databaseUrl() });
    try {
      const ids: string[] = [];
      const messages = [{ role: "user", content: "hi" }];
      const send = async (body: Record<string, unknown>, status: number) => {
        const r = await post(`${h.url}/v1/chat/completions`, body, h.auth);
        if (r.status !== status) throw new Error(`${r.status} ${JSON.stringify(r.json)}`);
        ids.push(r.headers.get("x-litellm-call-id") as string);
      };
      // a control character or an unpaired surrogate in an identity is refused before routing
      // (invalid_identity); the refusal is recorded all the same
      await send({ model: "gpt-3.5-turbo", messages, user: "nul\u0000in-the-middle" }, 400);
      for (const [s, asUser] of HOSTILE) {
        await send({ model: "gpt-3.5-turbo", messages, user: s }, asUser);
        // an unknown model is recorded with the name as sent, each unstorable unit replaced
        await send({ model: s, messages }, 400);
        await send({ model: `nul\u0000${s}`, messages }, 400);
      }
      await send({ model: "gpt-3.5-turbo", messages, user: "plain" }, 200);
      const log = h.built.spendLog;
      await log?.flush();
      expect(log?.stats.failedWrites).toBe(0);
      const { rows } = await h.store.spend.find({}, 1000, 0);
      const stored = new Set(rows.map((r) => r.request_id));
      expect(ids.filter((id) => !stored.has(id))).toEqual([]);
      const users = rows.map((r) => r.end_user).filter((u) => u && u !== "plain");
      expect(users).toEqual(["ok-\ud83d\ude00-pair"]);
      // what is stored is the sent text with each unstorable unit replaced, and it is what was hashed
      const models = new Set(rows.map((r) => r.model));
      for (const m of [
        "lone-\ufffd-surrogate",
        "\ufffd",
        "nul\ufffdlone-\ufffd-surrogate",
        "nul\ufffd\ufffd",
      ])
        expect(models).toContain(m);
      const report = await verifySpendLog(h.store.spend);
      expect(report.problems).toEqual([]);
    } finally {
      await h.close();
    }
  }, 30_000);
});
