import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, MASTER_KEY, post, startHarness } from "../../test/harness.js";
import { FakeUpstream } from "../demo/fake-upstream.js";

/**
 * Configs written in the shapes real LiteLLM configs take (corpus/*.yaml, one shape each): each
 * must start a real gateway and serve one request from a customer pinned to eu, in eu.
 * `# serve: <model>` on a file's first line names the model to call.
 */
const dir = join(import.meta.dirname, "corpus");
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

let eu: FakeUpstream;
let us: FakeUpstream;
beforeAll(async () => {
  eu = await new FakeUpstream({ label: "eu" }).start();
  us = await new FakeUpstream({ label: "us" }).start();
});
afterAll(async () => {
  await eu.stop();
  await us.stop();
});

const envFor = () => ({
  AZURE_API_BASE: eu.url,
  AZURE_API_KEY: "az-from-env",
  AZURE_API_VERSION: "2024-06-01",
  OPENAI_API_BASE: `${eu.url}/v1`,
  OPENAI_API_KEY: "sk-openai-from-env",
  HOSTED_VLLM_API_BASE: `${eu.url}/v1`,
  CORPUS_AZURE_EU_KEY: "az-credential-key",
  CORPUS_EU_BASE: eu.url,
  CORPUS_OPENAI_KEY: "sk-wildcard",
  // 17: a global Anthropic deployment beside the eu one; the eu customer must never reach it.
  CORPUS_ANTHROPIC_KEY: "sk-ant-corpus",
  // A developer's shell may set these; the corpus decides.
  OPENAI_BASE_URL: "",
  LITELLM_MASTER_KEY: "",
  MERIDIAN_MASTER_KEY: "",
  DATABASE_URL: "",
  REDIS_URL: "",
});

describe("config corpus", () => {
  it("holds at least 15 shapes", () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of files) {
    it(`${file} starts and serves in-region`, async () => {
      const yaml = readFileSync(join(dir, file), "utf8");
      const model = /^# serve: (\S+)/.exec(yaml)?.[1];
      expect(model, "first line names the model to serve").toBeDefined();
      eu.reset();
      us.reset();
      let h: Harness | undefined;
      try {
        h = await startHarness({ yaml, shared: { eu, us }, env: envFor() });
        const auth = { authorization: `Bearer ${MASTER_KEY}` };
        const c = await post(
          `${h.url}/end_user/new`,
          { user_id: "cust-eu", allowed_model_region: "eu" },
          auth,
        );
        expect(c.status).toBe(200);
        const r = await post(
          `${h.url}/v1/chat/completions`,
          { model, messages: [{ role: "user", content: "hi" }], user: "cust-eu" },
          auth,
        );
        expect(r.status, r.text).toBe(200);
        expect(r.headers.get("x-litellm-model-region")).toBe("eu");
        expect(eu.requests).toHaveLength(1);
        expect(us.requests).toHaveLength(0);
      } finally {
        await h?.close();
      }
    });
  }
});
