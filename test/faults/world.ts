import { parseConfigText } from "../../src/config/load.js";
import { FakeUpstream } from "../../src/demo/fake-upstream.js";
import { silentLogger } from "../../src/observability/logger.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { dropSchema, freePort, PgProxy, PrivateRedis, TEST_PG_URL, uniqueName } from "../testkit.js";
import type { Received } from "./ledger.js";

/**
 * The fault suite's world: two real gateway instances (startServer, as the CLI runs them) on
 * Postgres behind a cuttable proxy and a PRIVATE redis-server, five fake upstreams (eu ×2, us ×2,
 * one with no region), and customers pinned to eu, to us, and not pinned.
 */

export const MASTER = { authorization: "Bearer sk-1234" };

/** Region of each fake upstream; null = a deployment with no region (never for pinned customers). */
export const UPSTREAMS: Record<string, string | null> = {
  eu1: "eu",
  eu2: "eu",
  us1: "us",
  us2: "us",
  any: null,
};

/** Short timeouts so hangs cost a second, short cooldowns so a phase does not starve the next. */
export const WORLD_YAML = `
model_list:
${["eu1", "eu2", "us1", "us2", "any"].map((l) => entry("chat", l)).join("")}
${["eu2", "us2", "any"].map((l) => entry("chat-backup", l)).join("")}
router_settings:
  num_retries: 2
  retry_after: 0
  cooldown_time: 1
  allowed_fails: 3
  timeout: 1
  stream_timeout: 1
  fallbacks: [{"chat": ["chat-backup"]}]
general_settings:
  master_key: sk-1234
  shutdown_grace_seconds: 5
  # the slow-drip case must be cut off well inside the suite's bound (the default is 60 s)
  client_request_timeout_seconds: 5
  client_headers_timeout_seconds: 5
`;

function entry(group: string, label: string): string {
  const region = UPSTREAMS[label];
  return `  - model_name: ${group}
    litellm_params:
      model: openai/${group}-${label}
      api_base: "{{${label}}}/v1"
      api_key: sk-${label}-upstream
${region ? `      region_name: ${region}\n` : ""}`;
}

/** Customers by pinned region (null: may be served anywhere). */
export const CUSTOMERS: Record<string, string | null> = {
  "cust-eu-1": "eu",
  "cust-eu-2": "eu",
  "cust-us-1": "us",
  "cust-us-2": "us",
  "cust-open": null,
};

export interface CooldownEvent {
  instance: number;
  deployment: string;
  phase: string;
}

export interface World {
  urls: string[];
  servers: RunningServer[];
  upstreams: Record<string, FakeUpstream>;
  redis: PrivateRedis;
  pg: PgProxy;
  /** Cooldowns started by each instance's own attempts, with the phase they happened in. */
  cooldowns: CooldownEvent[];
  phase: string;
  received(): Received[];
  resetUpstreams(): void;
  /** Deployments currently cooling down on any instance. */
  coolingNow(): string[];
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const schema = uniqueName("faults");
  const redis = await new PrivateRedis(await freePort()).start();
  const pg = await new PgProxy().start();
  const upstreams: Record<string, FakeUpstream> = {};
  for (const label of Object.keys(UPSTREAMS)) upstreams[label] = await new FakeUpstream({ label }).start();
  let yaml = WORLD_YAML;
  for (const [label, u] of Object.entries(upstreams)) yaml = yaml.replaceAll(`{{${label}}}`, u.url);
  const db = new URL(TEST_PG_URL);
  db.host = `127.0.0.1:${pg.port}`;
  db.searchParams.set("schema", schema);
  const env = { DATABASE_URL: db.toString(), REDIS_URL: redis.url };
  const servers: RunningServer[] = [];
  const cooldowns: CooldownEvent[] = [];
  const world: World = {
    urls: [],
    servers,
    upstreams,
    redis,
    pg,
    cooldowns,
    phase: "setup",
    received: () =>
      Object.entries(upstreams).map(([label, u]) => ({
        label,
        region: UPSTREAMS[label],
        requests: u.requests,
      })),
    resetUpstreams() {
      for (const u of Object.values(upstreams)) u.reset();
    },
    coolingNow() {
      const now = Date.now();
      const out: string[] = [];
      for (const s of servers)
        for (const d of s.built.gateway.config.deployments)
          if (s.built.gateway.router.state.cooldownUntil(d.id, now) > 0) out.push(d.id);
      return out;
    },
    async close() {
      for (const s of servers) await s.shutdown().catch(() => {});
      for (const u of Object.values(upstreams)) await u.stop();
      await redis.resume();
      await redis.stop();
      await pg.cut();
      await dropSchema(schema);
    },
  };
  for (let i = 0; i < 2; i++) {
    const config = parseConfigText(yaml, "faults.yaml", env);
    const s = await startServer(config, {
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger(),
      redisPrefix: `${schema}:`,
      redisFlushMs: 20,
    });
    // Count the cooldowns this instance's own attempts start (remote ones arrive by another path).
    const state = s.built.gateway.router.state;
    const start = state.startCooldown.bind(state);
    state.startCooldown = (id, until) => {
      cooldowns.push({ instance: i, deployment: id, phase: world.phase });
      start(id, until);
    };
    servers.push(s);
    world.urls.push(`http://127.0.0.1:${s.port}`);
  }
  return world;
}
