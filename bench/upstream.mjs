// The benchmark's upstream: the repo's fake OpenAI server, no recording, no delay, on two ports
// (one per region). Runs in its own process so its CPU is not billed to the load generator.
import { FakeUpstream } from "../dist/testing/fake-upstream.js";

const ports = process.argv.slice(2).map(Number);
const servers = [];
for (const [i, port] of ports.entries()) {
  servers.push(await new FakeUpstream({ label: i === 0 ? "eu" : "us", port, record: false }).start());
}
process.send?.({ ready: servers.map((s) => s.url) });
process.on("SIGTERM", async () => {
  for (const s of servers) await s.stop();
  process.exit(0);
});
