import { parseConfigText } from "../src/config/load.js";
import { FakeUpstream } from "../src/demo/fake-upstream.js";
import { type Logger, silentLogger } from "../src/observability/logger.js";
import { type RunningServer, startServer } from "../src/server.js";
import { SEED_ENV } from "./harness.js";

/**
 * Test fixture: several real gateway instances (startServer, as the CLI runs them) on shared
 * fake upstreams, a shared store URL and optionally a shared Redis.
 */
export interface Fleet {
  eu: FakeUpstream;
  us: FakeUpstream;
  urls: string[];
  servers: RunningServer[];
  close(): Promise<void>;
}

export const FLEET_YAML = `
model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-35-turbo
      api_base: {{eu}}
      api_key: os.environ/AZURE_EUROPE_API_KEY
      region_name: eu
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/chatgpt-v-2
      api_base: {{us}}
      api_key: os.environ/AZURE_API_KEY
      region_name: us
router_settings:
  num_retries: 0
  cooldown_time: 30
general_settings:
  master_key: sk-1234
`;

export async function startFleet(o: {
  count: number;
  databaseUrl: string;
  redisUrl?: string;
  redisPrefix?: string;
  yaml?: string;
  logger?: Logger;
}): Promise<Fleet> {
  const eu = await new FakeUpstream({ label: "eu" }).start();
  const us = await new FakeUpstream({ label: "us" }).start();
  const yaml = (o.yaml ?? FLEET_YAML).replaceAll("{{eu}}", eu.url).replaceAll("{{us}}", us.url);
  const env = { ...SEED_ENV, DATABASE_URL: o.databaseUrl, REDIS_URL: o.redisUrl ?? "" };
  const servers: RunningServer[] = [];
  for (let i = 0; i < o.count; i++) {
    const config = parseConfigText(yaml, "fleet.yaml", env);
    servers.push(
      await startServer(config, {
        host: "127.0.0.1",
        port: 0,
        logger: o.logger ?? silentLogger(),
        redisPrefix: o.redisPrefix,
        redisFlushMs: 20,
      }),
    );
  }
  return {
    eu,
    us,
    servers,
    urls: servers.map((s) => `http://127.0.0.1:${s.port}`),
    async close() {
      for (const s of servers) await s.shutdown();
      await eu.stop();
      await us.stop();
    },
  };
}

export const ADMIN = { authorization: "Bearer sk-1234" };

export function chat(user: string) {
  return { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }], user };
}
