import { Agent } from "node:http";
import type { FakeUpstream } from "../../src/demo/fake-upstream.js";
import { waitFor } from "../testkit.js";
import type { Cli } from "./cli.js";
import { send } from "./client.js";
import { classify } from "./ledger.js";
import { chatCall } from "./load.js";
import type { Rng } from "./rng.js";

/**
 * Keep 16 keep-alive clients busy against the CLI, send it SIGTERM once `inFlight` requests have
 * reached the upstreams, and keep sending for 600 ms more. A request refused because the listener
 * had closed (sent after the signal) is what a load balancer sees and retries elsewhere; a reset is not.
 */
export async function sigtermUnderLoad(
  cli: Cli,
  upstreams: readonly FakeUpstream[],
  customers: readonly string[],
  rng: Rng,
  inFlight = 40,
): Promise<{ outcomes: string[]; code: number | null }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let signalledAt = 0;
  let stopAt = Number.POSITIVE_INFINITY;
  const outcomes: string[] = [];
  const worker = async () => {
    for (let i = 0; i < 40 && Date.now() < stopAt; i++) {
      const stream = rng.chance(0.3);
      const sentAt = Date.now();
      const o = classify(await send(cli.url, { ...chatCall(rng.pick(customers), stream), agent }), stream);
      const refusedAfter = o === "CRASH:ECONNREFUSED" && signalledAt > 0 && sentAt >= signalledAt;
      const when =
        signalledAt === 0 ? "" : sentAt >= signalledAt ? " (sent after SIGTERM)" : " (in flight at SIGTERM)";
      outcomes.push(refusedAfter ? "refused (listener closed)" : o.startsWith("CRASH:") ? `${o}${when}` : o);
    }
  };
  const load = Promise.all(Array.from({ length: 16 }, worker));
  try {
    await waitFor("load to build up", () => upstreams.reduce((n, u) => n + u.hits, 0) >= inFlight, 20_000);
    signalledAt = Date.now();
    cli.child.kill("SIGTERM");
    stopAt = signalledAt + 600;
  } finally {
    stopAt = Math.min(stopAt, Date.now() + 600);
    await load;
    agent.destroy();
  }
  return { outcomes, code: await cli.exited };
}
