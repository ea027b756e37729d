// The benchmark's upstream: the repo's fake OpenAI server, no recording, on ports given as arguments.
// The first two answer at once (one per region); a third, when given, streams like a model does:
// 20 chunks 25 ms apart. Runs in its own process so its CPU is not billed to the load generator.
import { FakeUpstream } from "../dist/demo/fake-upstream.js";
import { startAnthropicUpstream } from "./anthropic-upstream.mjs";
import { SLOW } from "./measure.mjs";

// A fourth port, when given, serves Anthropic's Messages API (the translating-provider leg).
const ports = process.argv.slice(2, 5).map(Number);
const anthropicPort = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const servers = [];
for (const [i, port] of ports.entries()) {
  const slow = i === 2;
  const s = new FakeUpstream({
    label: i === 1 ? "us" : "eu",
    port,
    record: false,
    streamChunks: slow ? SLOW.chunks : undefined,
  });
  if (slow) s.always = { chunkIntervalMs: SLOW.intervalMs };
  servers.push(await s.start());
}
const anthropic = anthropicPort === undefined ? undefined : await startAnthropicUpstream(anthropicPort);
process.send?.({ ready: servers.map((s) => s.url) });
process.on("SIGTERM", async () => {
  anthropic?.close();
  for (const s of servers) await s.stop();
  process.exit(0);
});
