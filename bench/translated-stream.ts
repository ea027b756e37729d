/**
 * The cost of translating a stream, beside the passthrough leg: the same answer (N text chunks +
 * usage) streamed through the real gateway (loopback, ephemeral ports) from an OpenAI fake
 * (passthrough) and from a Bedrock fake (binary event-stream frames, SigV4-signed request,
 * translated chunk by chunk). Reports time to first byte through the gateway per leg, interleaved
 * so machine noise falls on both, and the gateway-side CPU of the translation alone (decoder +
 * translator over recorded frames, in a loop) per stream.
 * Run by hand: `npx vite-node bench/translated-stream.ts [streams]`. Not a test.
 */
import { performance } from "node:perf_hooks";
import { request } from "undici";
import { FakeUpstream } from "../src/demo/fake-upstream.js";
import { bedrockProvider } from "../src/providers/bedrock/index.js";
import { signedHeaders, signer } from "../src/providers/bedrock/sign.js";
import { ConverseTranslator } from "../src/providers/bedrock/stream.js";
import type { Deployment } from "../src/router/deployment.js";
import { StreamUsageTap } from "../src/upstream/stream-usage.js";
import { decoderFor, TranslatedStream } from "../src/upstream/translated-stream.js";
import { SseFramer } from "../src/wire/sse.js";
import { BedrockFake, eventFrame, FAKE_AWS } from "../test/fakes/bedrock.js";
import { startHarness } from "../test/harness.js";

const STREAMS = Number(process.argv[2] ?? 300);
const CHUNKS = 20;

const bedrock = await new BedrockFake("bench", "eu-central-1", CHUNKS).start();
bedrock.verifySignatures = false;
const openai = await new FakeUpstream({ label: "eu", streamChunks: CHUNKS, record: false }).start();
const h = await startHarness({
  upstreams: [],
  shared: { eu: openai },
  env: { AWS_SESSION_TOKEN: "", AWS_REGION_NAME: "", AWS_REGION: "" },
  yaml: `
model_list:
  - model_name: passthrough
    litellm_params: { model: openai/gpt-bench, api_base: "{{eu}}/v1", api_key: sk-up, region_name: eu }
  - model_name: translated
    litellm_params:
      model: bedrock/eu.anthropic.claude-3-7-sonnet-20250219-v1:0
      aws_region_name: eu-central-1
      aws_access_key_id: ${FAKE_AWS.accessKeyId}
      aws_secret_access_key: ${FAKE_AWS.secretAccessKey}
      api_base: ${bedrock.url}
general_settings: { master_key: sk-1234 }
`,
});

async function ttfb(model: string): Promise<number> {
  const t0 = performance.now();
  const r = await request(`${h.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...h.auth },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  let first = 0;
  for await (const _ of r.body) if (first === 0) first = performance.now() - t0;
  if (r.statusCode !== 200) throw new Error(`${model}: ${r.statusCode}`);
  return first;
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
for (let i = 0; i < 30; i++) await Promise.all([ttfb("passthrough"), ttfb("translated")]); // warm up
const pass: number[] = [];
const trans: number[] = [];
for (let i = 0; i < STREAMS; i++) {
  pass.push(await ttfb("passthrough"));
  trans.push(await ttfb("translated"));
}
await h.close();
await bedrock.stop();
await openai.stop();

// Translation alone: the frames of one answer through the decoder and translator, as the gateway runs them.
const frames = Buffer.concat([
  eventFrame("messageStart", { role: "assistant" }),
  ...Array.from({ length: CHUNKS }, (_, i) =>
    eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: ` token ${i}` } }),
  ),
  eventFrame("contentBlockStop", { contentBlockIndex: 0 }),
  eventFrame("messageStop", { stopReason: "end_turn" }),
  eventFrame("metadata", { usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } }),
]);
const d = { id: "b", modelGroup: "translated", upstreamModel: "m" } as Deployment;
const sse = Buffer.from(
  `${Array.from({ length: CHUNKS }, (_, i) => `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" token ${i}"},"finish_reason":null}]}\n\n`).join("")}data: [DONE]\n\n`,
);
const cpu = (f: () => void, n: number) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
};
const N = 20_000;
const translatedUs = cpu(() => {
  const ts = new TranslatedStream(decoderFor(bedrockProvider), new ConverseTranslator(d, "b"), false);
  // frame by frame, as they arrive from a real upstream
  let at = 0;
  while (at < frames.length) {
    const len = frames.readUInt32BE(at);
    ts.take(frames.subarray(at, at + len));
    at += len;
  }
  ts.end();
}, N);
const sig = signer({
  accessKeyId: "AKID",
  secretAccessKey: "secret",
  sessionToken: undefined,
  region: "eu-central-1",
});
const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] });
const c0 = process.cpuUsage();
for (let i = 0; i < 5000; i++)
  await signedHeaders(sig, {
    method: "POST",
    origin: "https://bedrock-runtime.eu-central-1.amazonaws.com",
    path: "/model/m/converse-stream",
    headers: { "content-type": "application/json" },
    body,
  });
const cs = process.cpuUsage(c0);
const signUs = (cs.user + cs.system) / 5000;
const passthroughUs = cpu(() => {
  const framer = new SseFramer();
  const tap = new StreamUsageTap(false);
  const whole = framer.push(sse);
  if (whole) tap.take(whole);
}, N);

console.log(`streams per leg: ${STREAMS} (interleaved), ${CHUNKS} text chunks each`);
console.log(
  `TTFB through the gateway, passthrough (OpenAI fake): p50 ${p50(pass).toFixed(2)} ms, p99 ${p99(pass).toFixed(2)} ms`,
);
console.log(
  `TTFB through the gateway, translated (Bedrock fake): p50 ${p50(trans).toFixed(2)} ms, p99 ${p99(trans).toFixed(2)} ms`,
);
console.log(
  `added TTFB (p50): ${(p50(trans) - p50(pass)).toFixed(2)} ms (includes SigV4 signing and the fake's encoding)`,
);
console.log(`CPU per request, SigV4 signing: ${signUs.toFixed(1)} µs`);
console.log(
  `CPU per stream, framing + translation only: translated ${translatedUs.toFixed(1)} µs, passthrough ${passthroughUs.toFixed(1)} µs`,
);
