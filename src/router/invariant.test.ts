import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, post, startHarness } from "../../test/harness.js";
import { seeded } from "../../test/router-fixtures.js";
import { deployment } from "../../test/router-gateway.js";
import type { Behavior } from "../demo/fake-upstream.js";

/** Fake upstream label -> the geography of every deployment on it. */
const REGION_OF: Record<string, string> = { eu: "eu", eu2: "eu", us: "us", us2: "us", uk: "uk" };
const PINNED: Record<string, string> = {
  "pin-eu-1": "eu",
  "pin-eu-2": "eu",
  "pin-us-1": "us",
  "pin-us-2": "us",
};
const OPEN = ["open-1", "open-2"];
const REQUESTS = 2000;
const CONCURRENCY = 48;

const group = (name: string, labels: string[]) =>
  labels.map((l) => deployment(name, `${name}-${l}`, l, REGION_OF[l])).join("");

const YAML = `
model_list:${group("chat", ["eu", "eu2", "us", "us2", "uk"])}${group("fb", ["eu2", "us2", "uk"])}${group("us-heavy", ["us", "us2", "eu"])}${group("uk-only", ["uk"])}${group("uk-two", ["uk"])}${group("emb", ["eu", "us", "uk"])}
router_settings:
  num_retries: 2
  allowed_fails: 1
  cooldown_time: 0.05
  timeout: 0.25
  stream_timeout: 0.15
  fallbacks: [{"chat": ["fb", "us-heavy"]}, {"us-heavy": ["chat"]}, {"uk-only": ["uk-two"]}]
  default_fallbacks: ["fb"]
  context_window_fallbacks: [{"chat": ["fb"]}]
general_settings:
  master_key: sk-1234
`;

/** A random upstream behaviour: mostly fine, sometimes every kind of failure the router handles. */
function randomBehavior(rnd: () => number): Behavior {
  const x = rnd();
  if (x < 0.55) return {};
  if (x < 0.62) return { status: 500 };
  if (x < 0.68) return { status: 429, headers: { "retry-after-ms": String(Math.floor(rnd() * 30)) } };
  if (x < 0.71) return { status: 503 };
  if (x < 0.74) return { status: 401 };
  if (x < 0.76) return { status: 400 };
  if (x < 0.78)
    return { status: 400, errorBody: { error: { message: "too long", code: "context_length_exceeded" } } };
  if (x < 0.83) return { reset: true };
  if (x < 0.87) return { delayMs: Math.floor(rnd() * 40) };
  if (x < 0.89) return { delayMs: 400 }; // past both timeouts
  if (x < 0.94) return { cutAfterChunks: 0 };
  return { cutAfterChunks: 2 };
}

describe("randomized region invariant", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: Object.keys(REGION_OF) });
    for (const [id, region] of Object.entries(PINNED)) {
      const r = await post(`${h.url}/end_user/new`, { user_id: id, allowed_model_region: region }, h.auth);
      expect(r.status).toBe(200);
    }
    const rnd = seeded(20240605);
    for (const u of Object.values(h.upstreams)) for (let i = 0; i < 3000; i++) u.next(randomBehavior(rnd));
  });
  afterAll(async () => h.close());

  it("no pinned customer's request ever reaches another region, whatever fails", async () => {
    const rnd = seeded(99);
    const users = [...Object.keys(PINNED), ...OPEN];
    const models = ["chat", "chat", "fb", "us-heavy", "uk-only", "emb"];
    const seen = { ok: 0, errors: 0, retried: 0, fellBack: 0, capacity429: 0, notInRegion403: 0 };
    const wrong: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        next++;
        const user = users[Math.floor(rnd() * users.length)];
        const model = models[Math.floor(rnd() * models.length)];
        const stream = model !== "emb" && rnd() < 0.35;
        const path = model === "emb" ? "/v1/embeddings" : "/v1/chat/completions";
        const body =
          model === "emb"
            ? { model, input: "x", user }
            : { model, user, stream, messages: [{ role: "user", content: "x" }] };
        const r = await post(`${h.url}${path}`, body, h.auth);
        if (r.headers.get("x-litellm-attempted-retries") !== "0") seen.retried++;
        if (r.headers.get("x-litellm-attempted-fallbacks") !== "0") seen.fellBack++;
        const want = PINNED[user];
        if (r.status === 200) {
          seen.ok++;
          const region = r.headers.get("x-litellm-model-region");
          if (want && region !== want) wrong.push(`${user} ${model} served from ${region}`);
        } else {
          seen.errors++;
          if (typeof r.json?.error?.code !== "string") wrong.push(`${r.status} is not an OpenAI envelope`);
          if (r.json?.error?.code === "region_capacity_exhausted") seen.capacity429++;
          if (r.json?.error?.code === "no_deployment_in_region") seen.notInRegion403++;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    let pinnedUpstream = 0;
    for (const [label, fake] of Object.entries(h.upstreams)) {
      for (const req of fake.requests) {
        const user = String(req.body?.user);
        const want = PINNED[user];
        if (!want) continue;
        pinnedUpstream++;
        if (want !== REGION_OF[label]) wrong.push(`${user} reached ${label} (${REGION_OF[label]})`);
      }
    }
    expect(wrong).toEqual([]);
    // the run exercised what it claims to: failures, retries, fallbacks, cooling and both error kinds
    expect(seen.ok).toBeGreaterThan(REQUESTS / 2);
    expect(seen.retried).toBeGreaterThan(50);
    expect(seen.fellBack).toBeGreaterThan(20);
    expect(seen.notInRegion403).toBeGreaterThan(0);
    expect(pinnedUpstream).toBeGreaterThan(REQUESTS / 2);
    expect(h.upstreams.uk.hits).toBeGreaterThan(0); // open users do reach uk
  });
});
