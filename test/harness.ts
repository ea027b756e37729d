import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Built, build } from "../src/app.js";
import { parseConfigText } from "../src/config/load.js";
import { FakeUpstream } from "../src/demo/fake-upstream.js";
import type { Bus } from "../src/kv/bus.js";
import type { Logger } from "../src/observability/logger.js";
import type { Provider } from "../src/providers/contract.js";
import type { RouterState } from "../src/router/state.js";
import { openStore, type Store } from "../src/store/customers.js";

export const MASTER_KEY = "sk-1234";

export interface Harness {
  url: string;
  built: Built;
  store: Store;
  upstreams: Record<string, FakeUpstream>;
  /** Authorization header for the master key. */
  auth: Record<string, string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Labels of fake upstreams to start; `${LABEL}_URL` placeholders in the YAML are replaced. */
  upstreams?: string[];
  /** Config YAML; `{{eu}}`-style placeholders become fake upstream URLs. */
  yaml: string;
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  bus?: Bus;
  routerState?: RouterState;
  /** Reuse upstreams started elsewhere (e.g. two gateways on the same fakes). */
  shared?: Record<string, FakeUpstream>;
  /** Test-only providers, by prefix (`toy/...` in the YAML): given to the config loader and build(). */
  providers?: Record<string, Provider>;
  /** Serve /metrics (off by default: prom-client's default collectors cost every test a little). */
  metrics?: boolean;
  /** A built admin page to serve at /ui/. */
  uiDir?: string;
  /** A logger to capture lines (silent otherwise). */
  logger?: Logger;
}

/** A real gateway on an ephemeral port, real SQLite in a temp dir, local fake upstreams. */
export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const upstreams: Record<string, FakeUpstream> = { ...o.shared };
  for (const label of o.upstreams ?? ["eu", "us"]) {
    if (!upstreams[label]) upstreams[label] = await new FakeUpstream({ label }).start();
  }
  let yaml = o.yaml;
  for (const [label, u] of Object.entries(upstreams)) yaml = yaml.replaceAll(`{{${label}}}`, u.url);
  const dir = mkdtempSync(join(tmpdir(), "meridian-test-"));
  // spend-log spill files stay in the test's own directory
  const env = { ...process.env, MERIDIAN_SPILL_DIR: join(dir, "spill"), ...o.env };
  const extraProviders = Object.keys(o.providers ?? {});
  const config = parseConfigText(yaml, "test-config.yaml", env, { extraProviders });
  const store = await openStore(o.databaseUrl ?? `sqlite:${join(dir, "meridian.db")}`);
  const built = await build({
    config,
    store,
    bus: o.bus,
    routerState: o.routerState,
    metrics: o.metrics === true,
    uiDir: o.uiDir,
    providers: o.providers,
    logger: o.logger,
  });
  await built.app.listen({ host: "127.0.0.1", port: 0 });
  const addr = built.app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    built,
    store,
    upstreams,
    auth: { authorization: `Bearer ${MASTER_KEY}` },
    async close() {
      await built.close();
      await store.close();
      for (const [label, u] of Object.entries(upstreams)) if (!o.shared?.[label]) await u.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The seed's config: gpt-3.5-turbo in eu (azure) and us (azure), plus a us-only model. */
export const SEED_YAML = `
model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-35-turbo
      api_base: {{eu}}
      api_key: os.environ/AZURE_EUROPE_API_KEY
      region_name: "eu"
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/chatgpt-v-2
      api_base: {{us}}
      api_version: "2023-05-15"
      api_key: os.environ/AZURE_API_KEY
      region_name: "us"
  - model_name: gpt-4o-us-only
    litellm_params:
      model: openai/gpt-4o
      api_base: {{us}}/v1
      api_key: sk-us-upstream
      region_name: us
  - model_name: text-embedding-3-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{eu}}/v1
      api_key: sk-eu-upstream
      region_name: westeurope
  - model_name: text-embedding-3-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {{us}}/v1
      api_key: sk-us-upstream
      region_name: eastus
router_settings:
  enable_pre_call_checks: true
general_settings:
  master_key: sk-1234
`;

export const SEED_ENV = { AZURE_EUROPE_API_KEY: "azure-eu-secret", AZURE_API_KEY: "azure-us-secret" };

/** POST JSON helper returning status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return read(res);
}

export async function get(url: string, headers: Record<string, string> = {}) {
  return read(await fetch(url, { headers }));
}

async function read(res: Response) {
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Customers pinned to regions (user_id -> allowed_model_region), made through the admin API. */
export async function pinCustomers(h: Harness, pins: Record<string, string>): Promise<void> {
  for (const [user_id, allowed_model_region] of Object.entries(pins)) {
    const r = await post(`${h.url}/end_user/new`, { user_id, allowed_model_region }, h.auth);
    if (r.status !== 200) throw new Error(`creating customer ${user_id}: ${r.status} ${r.text}`);
  }
}
