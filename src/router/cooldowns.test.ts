import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, hits, pinnedHarness, resetAll, sleep } from "../../test/router-gateway.js";

const COOLING_STATUSES = [429, 401, 404, 408, 500, 503];

/** Each test uses its own model group (cooldowns are per deployment and outlive a test). */
function pair(group: string, params: Record<string, number> = {}): string {
  return deployment(group, `${group}-eu`, "eu", "eu", params) + deployment(group, `${group}-us`, "us", "us");
}

/** Two EU deployments and one US: the EU customer has somewhere else to go, so failures cool. */
function trio(group: string, params: Record<string, number> = {}, eu2Params = params): string {
  return (
    deployment(group, `${group}-eu`, "eu", "eu", params) +
    deployment(group, `${group}-eu2`, "eu2", "eu", eu2Params) +
    deployment(group, `${group}-us`, "us", "us")
  );
}

const failBothEu = (h: Harness, b: Parameters<Harness["upstreams"]["eu"]["next"]>[0], times = 1) => {
  h.upstreams.eu.next(b, times);
  h.upstreams.eu2.next(b, times);
};

describe("cooldowns", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${COOLING_STATUSES.map((s) => trio(`c${s}`)).join("")}${pair("c400")}${pair("c403")}${pair("c422")}${trio("exit")}${trio("ra")}${trio("slow", { timeout: 0.15, max_retries: 0, order: 1 }, { timeout: 0.15, max_retries: 0, order: 2 })}${pair("open")}${pair("blip")}${deployment("solo", "solo-eu", "eu", "eu")}${deployment("two", "two-a", "eu", "eu")}${deployment("two", "two-b", "eu2", "eu")}${deployment("two", "two-us", "us", "us")}
router_settings:
  num_retries: 1
  cooldown_time: 1
  allowed_fails: 1
  retry_after: 0
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());
  beforeEach(() => resetAll(h));

  for (const status of COOLING_STATUSES) {
    it(`a ${status} cools the deployment: once both EU ones fail, the EU customer gets 429 region_capacity_exhausted, never the US`, async () => {
      failBothEu(h, { status });
      const first = await chat(h, `c${status}`, "cust-eu");
      expect(first.status).toBe(status);
      // 401/404 are not retried: the other EU deployment meets its failure on the next request
      if (h.upstreams.eu.hits + h.upstreams.eu2.hits < 2)
        expect((await chat(h, `c${status}`, "cust-eu")).status).toBe(status);
      const r = await chat(h, `c${status}`, "cust-eu");
      if (status === 401 || status === 404) {
        // The upstream refused the deployment itself: no probe second-guesses that.
        expect(r.status).toBe(429);
        expect(r.json.error.code).toBe("region_capacity_exhausted");
        expect(r.json.error.type).toBe("rate_limit_error");
        expect(r.json.error.message).toContain('"eu"');
        expect(r.headers.get("retry-after")).toBe("1");
        expect(hits(h)).toEqual({ eu: 1, eu2: 1, us: 0 });
      } else {
        // Cooling on our own count: the next request probes an EU deployment (healthy again) instead.
        expect(r.status).toBe(200);
        expect(r.headers.get("x-litellm-model-region")).toBe("eu");
        expect(hits(h)).toMatchObject({ us: 0 });
        expect(h.upstreams.eu.hits + h.upstreams.eu2.hits).toBe(3);
      }
    });
  }

  for (const status of [400, 403, 422]) {
    it(`a ${status} does not cool the deployment`, async () => {
      h.upstreams.eu.next({ status });
      expect((await chat(h, `c${status}`, "cust-eu")).status).toBe(status);
      expect((await chat(h, `c${status}`, "cust-eu")).status).toBe(200);
      expect(h.upstreams.eu.hits).toBe(2);
    });
  }

  it("cooldown_time is honoured, and the deployment serves again after it", async () => {
    // 401s: a cooldown no probe ends early (see probe.test.ts for those that may)
    failBothEu(h, { status: 401 });
    await chat(h, "exit", "cust-eu");
    await chat(h, "exit", "cust-eu");
    expect((await chat(h, "exit", "cust-eu")).status).toBe(429);
    await sleep(1050);
    const r = await chat(h, "exit", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toMatch(/^exit-eu2?$/);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("an upstream Retry-After longer than cooldown_time lengthens the cooldown", async () => {
    failBothEu(h, { status: 429, headers: { "retry-after": "2" } });
    const first = await chat(h, "ra", "cust-eu");
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("2");
    await sleep(1100); // past cooldown_time, inside Retry-After
    const still = await chat(h, "ra", "cust-eu");
    expect(still.json.error.code).toBe("region_capacity_exhausted");
    await sleep(1000);
    expect((await chat(h, "ra", "cust-eu")).status).toBe(200);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("our own timeouts cool only after more than allowed_fails in a minute", async () => {
    failBothEu(h, { hang: true }, 2);
    const one = await chat(h, "slow", "cust-eu"); // order 1 first
    expect(one.status).toBe(504);
    expect(one.json.error.code).toBe("upstream_timeout");
    expect((await chat(h, "slow", "cust-eu")).status).toBe(504); // 2 > allowed_fails (1): slow-eu cools
    expect(hits(h)).toEqual({ eu: 2, eu2: 0, us: 0 });
    expect((await chat(h, "slow", "cust-eu")).status).toBe(504); // now order 2
    expect((await chat(h, "slow", "cust-eu")).status).toBe(504); // slow-eu2 cools too
    // Both cool on our own count: the next request probes the one whose cooldown ends first.
    const r = await chat(h, "slow", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("slow-eu");
    expect(hits(h)).toEqual({ eu: 3, eu2: 2, us: 0 });
  });

  it("an unrestricted caller is served by the other region while the EU deployment cools", async () => {
    h.upstreams.eu.always = { status: 500 };
    // unrestricted traffic that lands on the EU deployment fails over to the US and cools the EU one
    for (let i = 0; i < 20; i++) {
      const r = await chat(h, "open", undefined);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("us");
    }
    // The EU customer's only deployment cools: its request probes it (never the US) and meets its 500.
    const pinned = await chat(h, "open", "cust-eu");
    expect(pinned.status).toBe(500);
    expect(pinned.headers.get("x-litellm-model-region")).toBe("eu");
    expect(h.upstreams.eu.hits).toBe(2);
    expect(h.upstreams.us.hits).toBe(20);
  });

  it("while one EU deployment cools, the EU customer is served by the other EU one", async () => {
    h.upstreams.eu.always = { status: 500 };
    for (let i = 0; i < 10; i++) {
      const r = await chat(h, "two", "cust-eu");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-id")).toBe("two-b");
    }
    expect(h.upstreams.eu.hits).toBeLessThanOrEqual(1);
    expect(h.upstreams.us.hits).toBe(0);
  });

  it("a customer with one in-region deployment is retried there, not cooled out by its own blip", async () => {
    h.upstreams.eu.next({ status: 503 });
    const r = await chat(h, "blip", "cust-eu");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    expect((await chat(h, "blip", "cust-eu")).status).toBe(200);
    expect(hits(h)).toEqual({ eu: 3, eu2: 0, us: 0 });
  });

  it("a single-deployment group is not cooled for transient failures (LiteLLM)", async () => {
    h.upstreams.eu.next({ status: 500 }, 2);
    const r = await chat(h, "solo", "cust-eu"); // 500, retry after backoff: 500 again
    expect(r.status).toBe(500);
    const again = await chat(h, "solo", "cust-eu");
    expect(again.status).toBe(200);
    expect(h.upstreams.eu.hits).toBe(3);
  });
});

describe("disable_cooldowns", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${pair("chat")}
router_settings:
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());

  it("a failing deployment keeps being tried", async () => {
    h.upstreams.eu.next({ status: 429 }, 3);
    for (let i = 0; i < 3; i++) expect((await chat(h, "chat", "cust-eu")).status).toBe(429);
    expect((await chat(h, "chat", "cust-eu")).status).toBe(200);
    expect(h.upstreams.eu.hits).toBe(4);
    expect(h.upstreams.us.hits).toBe(0);
  });
});
