import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Harness } from "../../test/harness.js";
import { chat, deployment, pinnedHarness, until } from "../../test/router-gateway.js";

/** least-busy counts an open stream as in flight until it ends, not only until its first chunk. */
describe("least-busy with streams", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await pinnedHarness(`
model_list:${deployment("lb", "lb-a", "eu", "eu")}${deployment("lb", "lb-b", "eu2", "eu")}
router_settings:
  routing_strategy: least-busy
general_settings:
  master_key: sk-1234
`);
  });
  afterAll(async () => h.close());

  it("while a slow stream is open, other requests go to the idle deployment", async () => {
    // ~7 events 400 ms apart: the stream stays open (~2.5 s) while the 6 requests below are served,
    // even on a loaded machine (at 150 ms apart it could end first, and its deployment serve one)
    for (const u of Object.values(h.upstreams)) u.always = { chunkIntervalMs: 400 };
    const streaming = chat(h, "lb", "cust-eu", { stream: true });
    await until(() => h.upstreams.eu.hits + h.upstreams.eu2.hits === 1);
    const busy = h.upstreams.eu.hits === 1 ? "eu" : "eu2";
    const idle = busy === "eu" ? "eu2" : "eu";
    for (const u of Object.values(h.upstreams)) u.always = {};
    await new Promise((r) => setTimeout(r, 200)); // the stream is past its first chunk
    for (let i = 0; i < 6; i++) expect((await chat(h, "lb", "cust-eu")).status).toBe(200);
    expect(h.upstreams[idle].hits).toBe(6);
    expect(h.upstreams[busy].hits).toBe(1);
    const s = await streaming;
    expect(s.status).toBe(200);
    // once the stream has ended its deployment is idle again and takes its share
    for (let i = 0; i < 20; i++) await chat(h, "lb", "cust-eu");
    expect(h.upstreams[busy].hits).toBeGreaterThan(1);
  });
});
