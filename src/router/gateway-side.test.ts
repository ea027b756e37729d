import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { injectInto } from "../../test/inject.js";
import { dep, routerConfig } from "../../test/router-fixtures.js";
import { chat, deployment, hits, pinnedHarness, resetAll } from "../../test/router-gateway.js";
import type { Provider } from "../providers/index.js";
import { callDeployment } from "../upstream/call.js";
import { Cancel } from "../upstream/cancel.js";
import { UpstreamPools } from "../upstream/client.js";
import { runAttempts } from "./attempt.js";
import { policyOf, restriction } from "./filters.js";
import { Router } from "./router.js";
import { LocalRouterState } from "./state.js";

/** Remembers every failure and cooldown it is told of, so a test can say "none". */
class WatchedState extends LocalRouterState {
  failures: string[] = [];
  cooldowns: string[] = [];
  override recordFailure(id: string, now: number): number {
    this.failures.push(id);
    return super.recordFailure(id, now);
  }
  override startCooldown(id: string, untilMs: number): void {
    this.cooldowns.push(id);
    super.startCooldown(id, untilMs);
  }
}

const deepBody = (levels: number) =>
  `{"model":"m","user":"cust-eu","messages":[{"role":"user","content":"hi","x":${"[".repeat(levels)}${"]".repeat(levels)}}]}`;

/** Issue item 4: one request must not take a region offline. */
describe("gateway-side failures never cool a deployment", () => {
  let h: Harness;
  const state = new WatchedState();
  beforeAll(async () => {
    h = await pinnedHarness(
      `
model_list:${deployment("m", "m-eu", "eu", "eu")}${deployment("m", "m-eu2", "eu2", "eu")}${deployment("m", "m-us", "us", "us")}
router_settings:
  num_retries: 2
  allowed_fails: 1
  cooldown_time: 5
general_settings:
  master_key: sk-1234
`,
      undefined,
      state,
    );
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    resetAll(h);
    state.failures.length = 0;
    state.cooldowns.length = 0;
  });

  it("a body nested 200,000 levels deep is a 400 nesting_too_deep; no deployment is asked or blamed", async () => {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...h.auth },
      body: deepBody(200_000),
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(json.error).toMatchObject({
      code: "nesting_too_deep",
      type: "invalid_request_error",
      param: null,
    });
    expect(json.error.message).toContain("400");
    expect(hits(h)).toEqual({ eu: 0, eu2: 0, us: 0 });
    expect(state.failures).toEqual([]);
    expect(state.cooldowns).toEqual([]);
    // The pinned customers right after are served from their region.
    for (let i = 0; i < 4; i++) {
      const r = await chat(h, "m", "cust-eu");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("the same through Fastify's parser (inject)", async () => {
    const r = await injectInto(h.built, {
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json", ...h.auth },
      payload: deepBody(1_000),
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe("nesting_too_deep");
    expect(state.failures).toEqual([]);
  });

  it("a body just under the limit is sent and served", async () => {
    const r = await injectInto(h.built, {
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json", ...h.auth },
      payload: deepBody(395),
    });
    expect(r.statusCode).toBe(200);
  });
});

describe("a request the gateway cannot serialise", () => {
  const throwing: Provider = {
    operations: new Set(["chat"]),
    prepare() {
      throw new RangeError("Maximum call stack size exceeded");
    },
  } as unknown as Provider;
  const target = {
    origin: "http://127.0.0.1:9",
    paths: { chat: "/v1/chat/completions", completions: "", embeddings: "" },
    headers: {},
  };

  const context = () => ({
    op: "chat" as const,
    body: {},
    stream: false,
    wantUsage: true,
    clientWantsUsage: false,
    signal: new Cancel(),
  });

  it("is the gateway's failure from callDeployment, not a connection failure", async () => {
    const pools = new UpstreamPools();
    const r = await callDeployment(dep("a", "eu"), target as never, throwing, pools, context());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ kind: "gateway", status: 500, code: "internal_error" });
    await pools.close();
  });

  it("is not retried on the other in-region deployments and leaves RouterState untouched", async () => {
    const state = new WatchedState();
    const router = new Router(
      { deployments: [dep("a", "eu"), dep("b", "eu")], router: routerConfig({ allowedFails: 0 }) },
      state,
    );
    const pools = new UpstreamPools();
    const called: string[] = [];
    const ctx = context();
    const run = runAttempts(router, {
      group: "m",
      policy: policyOf([restriction("customer", "c", "eu")], "c"),
      signal: ctx.signal,
      estimatedTokens: 0,
      call: (d) => {
        called.push(d.id);
        return callDeployment(d, target as never, throwing, pools, ctx);
      },
    });
    await expect(run).rejects.toMatchObject({ error: { kind: "gateway", code: "internal_error" } });
    expect(called).toHaveLength(1);
    expect(state.failures).toEqual([]);
    expect(state.cooldowns).toEqual([]);
    expect(state.inflight(called[0])).toBe(0);
    await pools.close();
  });
});
