import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfigFile } from "../config/load.js";
import { createLogger } from "../observability/logger.js";
import { startServer } from "../server.js";
import { FakeUpstream } from "./fake-upstream.js";

/**
 * `npm run demo`: two fake Azure/OpenAI upstreams (eu on :4101, us on :4102), the gateway on :4000
 * with examples/demo.yaml, the seed's walk-through, then it keeps serving so you can paste the
 * seed's curl commands. `--exit` ends after the walk-through (used by the tests).
 */
const configFile = fileURLToPath(new URL("../../examples/demo.yaml", import.meta.url));
const port = Number(process.env.PORT ?? 4000);
const base = `http://localhost:${port}`;
const KEY = "sk-1234";

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the demo prints whatever shape the gateway answers
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

function show(title: string) {
  const [b, e] = process.stdout.isTTY ? ["\x1b[1m", "\x1b[0m"] : ["", ""];
  process.stdout.write(`\n${b}== ${title}${e}\n`);
}

async function main() {
  rmSync(new URL("../../.tmp/demo.db", import.meta.url), { force: true });
  const eu = await new FakeUpstream({ label: "eu", port: 4101 }).start();
  const us = await new FakeUpstream({ label: "us", port: 4102 }).start();
  const config = loadConfigFile(configFile);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "warn" });
  const server = await startServer(config, { host: "0.0.0.0", port, logger });
  process.stdout.write(
    `Meridian ${base} — fake upstreams: eu ${eu.url}, us ${us.url}; config ${configFile}\n`,
  );

  show("1. Create a customer pinned to the EU: POST /end_user/new");
  const created = await call("POST", "/end_user/new", {
    user_id: "demo-customer-eu",
    allowed_model_region: "eu",
  });
  process.stdout.write(`${created.status} ${JSON.stringify(created.json)}\n`);

  show('2. Chat as that customer ("user": "demo-customer-eu") — five times');
  for (let i = 0; i < 5; i++) {
    const r = await call("POST", "/chat/completions", {
      model: "gpt-3.5-turbo",
      messages: [{ role: "user", content: "what is the meaning of the universe? 1234" }],
      user: "demo-customer-eu",
    });
    process.stdout.write(
      `${r.status}  x-litellm-api-base: ${r.headers.get("x-litellm-api-base")}  x-litellm-model-region: ${r.headers.get("x-litellm-model-region")}  → "${r.json.choices?.[0]?.message?.content}"\n`,
    );
  }

  show("3. Same model, no customer: both regions serve");
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const r = await call("POST", "/chat/completions", {
      model: "gpt-3.5-turbo",
      messages: [{ role: "user", content: "hi" }],
    });
    seen.add(String(r.headers.get("x-litellm-model-region")));
  }
  process.stdout.write(`regions that served 10 unrestricted requests: ${[...seen].sort().join(", ")}\n`);

  show("4. A model with no EU deployment (gpt-4o is US-only): refused, nothing sent upstream");
  const before = eu.hits + us.hits;
  const refused = await call("POST", "/chat/completions", {
    model: "gpt-4o",
    messages: [{ role: "user", content: "hi" }],
    user: "demo-customer-eu",
  });
  process.stdout.write(
    `${refused.status} ${JSON.stringify(refused.json)}\nupstream calls made: ${eu.hits + us.hits - before}\n`,
  );

  show("Try the seed yourself (paste these):");
  process.stdout.write(`curl -X POST --location 'http://0.0.0.0:${port}/end_user/new' \\
--header 'Authorization: Bearer ${KEY}' \\
--header 'Content-Type: application/json' \\
--data '{"user_id" : "ishaan-jaff-45", "allowed_model_region": "eu"}'

curl -i -X POST --location 'http://localhost:${port}/chat/completions' \\
--header 'Content-Type: application/json' \\
--header 'Authorization: Bearer ${KEY}' \\
--data '{"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "what is the meaning of the universe? 1234"}], "user": "ishaan-jaff-45"}'
`);

  const stop = async () => {
    await server.shutdown();
    await eu.stop();
    await us.stop();
    process.exit(0);
  };
  if (process.argv.includes("--exit")) return stop();
  process.stdout.write("\nServing until Ctrl-C.\n");
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exit(1);
});
