/**
 * What translation costs on a streaming leg: the vertex_ai/ (Gemini SSE -> OpenAI chunks) leg beside the
 * OpenAI passthrough leg, both through the real gateway in this process against local fakes, on
 * ephemeral ports. Run by hand: `npx vite-node bench/vertex-stream.ts [--n=300] [--events=20]`. Not a test.
 *
 * - TTFB: time to the first body byte at the client, concurrency 1, the two legs and their direct
 *   baselines (client -> fake) interleaved; "added" = gateway minus direct, medians.
 * - CPU per stream: process CPU (user+sys) over n whole streams through the gateway minus the same
 *   streams direct to the fake (fakes and client run in this process too, so the difference is the
 *   gateway's share); and the translation alone (decode + translate + re-frame, no network).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GeminiStreamTranslator } from "../src/providers/vertex/stream.js";
import { sseDecoder, TranslatedStream } from "../src/upstream/translated-stream.js";
import { SseFramer } from "../src/wire/sse.js";
import { GoogleFake, TokenFake } from "../test/fakes/vertex.js";
import { startHarness } from "../test/harness.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const N = Number(args.get("n") ?? 300);
const EVENTS = Number(args.get("events") ?? 20);

const tokens = await new TokenFake().start();
const google = await new GoogleFake("eu", { tokens }, EVENTS).start();
const dir = mkdtempSync(join(tmpdir(), "meridian-bench-vx-"));
const keyFile = join(dir, "sa.json");
writeFileSync(keyFile, JSON.stringify(tokens.serviceAccount()));
const h = await startHarness({
  upstreams: ["eu"],
  yaml: `
model_list:
  - model_name: pass
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", api_key: sk-up, region_name: eu }
  - model_name: vx
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_location: europe-west4
      vertex_project: p
      vertex_credentials: ${keyFile}
      api_base: ${google.url}
general_settings: { master_key: sk-1234 }
`,
});
const openaiFake = h.upstreams.eu;
(openaiFake as unknown as { streamChunks: number }).streamChunks = EVENTS;

const msg = { messages: [{ role: "user", content: "hello" }], stream: true };
const legs = {
  pass: { url: `${h.url}/v1/chat/completions`, body: { model: "pass", ...msg }, auth: "Bearer sk-1234" },
  "pass direct": {
    url: `${openaiFake.url}/v1/chat/completions`,
    body: { model: "gpt-4o", ...msg },
    auth: "Bearer sk-up",
  },
  vx: { url: `${h.url}/v1/chat/completions`, body: { model: "vx", ...msg }, auth: "Bearer sk-1234" },
  "vx direct": {
    url: `${google.url}/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse`,
    body: { contents: [{ role: "user", parts: [{ text: "hello" }] }] },
    auth: "",
  },
} as const;
type Leg = keyof typeof legs;

async function once(leg: Leg): Promise<number> {
  const l = legs[leg];
  const auth = l.auth || `Bearer ${await tokenForDirect()}`;
  const t0 = performance.now();
  const r = await fetch(l.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: auth },
    body: JSON.stringify(l.body),
  });
  const reader = (r.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  const ttfb = performance.now() - t0;
  if (r.status !== 200 || first.done) throw new Error(`${leg}: ${r.status}`);
  while (!(await reader.read()).done) {}
  return ttfb;
}

let direct: string | undefined;
async function tokenForDirect(): Promise<string> {
  if (!direct) {
    const { TokenSource, readServiceAccount } = await import("../src/providers/vertex/auth.js");
    direct = await new TokenSource(readServiceAccount(keyFile)).token("bench");
  }
  return direct;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

// warm-up
for (const leg of Object.keys(legs) as Leg[]) for (let i = 0; i < 30; i++) await once(leg);

const ttfb: Record<Leg, number[]> = { pass: [], "pass direct": [], vx: [], "vx direct": [] };
for (let i = 0; i < N; i++) for (const leg of Object.keys(legs) as Leg[]) ttfb[leg].push(await once(leg));

const cpu: Record<Leg, number> = { pass: 0, "pass direct": 0, vx: 0, "vx direct": 0 };
for (let round = 0; round < 3; round++)
  for (const leg of Object.keys(legs) as Leg[]) {
    const c0 = cpuMs();
    for (let i = 0; i < N / 3; i++) await once(leg);
    cpu[leg] += cpuMs() - c0;
  }

// translation alone: the Gemini stream the fake sends, decoded, translated and re-framed
const sse = Buffer.from(
  Array.from(
    { length: EVENTS },
    (_, i) =>
      `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: ` bit ${i}` }] } }] })}\r\n\r\n`,
  ).join("") +
    `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP" }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 } })}\r\n\r\n`,
);
const openaiSse = Buffer.from(
  `${Array.from(
    { length: EVENTS },
    (_, i) =>
      `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: ` bit ${i}` } }] })}\n\n`,
  ).join("")}data: [DONE]\n\n`,
);
const M = 20_000;
let sink = 0;
let t = performance.now();
for (let i = 0; i < M; i++) {
  const s = new TranslatedStream(sseDecoder(), new GeminiStreamTranslator("m", "d"), false);
  sink += s.take(sse).length + s.end().length;
}
const translateUs = ((performance.now() - t) * 1000) / M;
t = performance.now();
for (let i = 0; i < M; i++) sink += new SseFramer().push(openaiSse)?.length ?? 0;
const frameUs = ((performance.now() - t) * 1000) / M;

const row = (name: string, leg: Leg, base: Leg) =>
  `${name.padEnd(26)} ttfb p50 ${median(ttfb[leg]).toFixed(2)} ms (direct ${median(ttfb[base]).toFixed(2)}, added ${(median(ttfb[leg]) - median(ttfb[base])).toFixed(2)})  gateway CPU/stream ${(((cpu[leg] - cpu[base]) / N) * 1000).toFixed(0)} µs`;
console.log(`n=${N} streams per leg, ${EVENTS} content events each, concurrency 1, node ${process.version}`);
console.log(row("passthrough (openai/)", "pass", "pass direct"));
console.log(row("translating (vertex_ai/)", "vx", "vx direct"));
console.log(
  `translation alone: ${translateUs.toFixed(1)} µs/stream (${EVENTS + 1} events); passthrough framing alone ${frameUs.toFixed(1)} µs/stream (sink ${sink % 7})`,
);

await h.close();
await google.stop();
await tokens.stop();
rmSync(dir, { recursive: true, force: true });
