import { parseArgs } from "node:util";

export interface CliOptions {
  /** "check": validate the config and print its residency (`meridian check --config FILE`), no server. */
  command: "serve" | "check";
  config: string | undefined;
  port: number;
  host: string;
  numWorkers: number;
  detailedDebug: boolean;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: meridian --config FILE [options]
       meridian check --config FILE   validate a config, print each model group's deployments
                                      by geography with their evidence and warnings; no network;
                                      exits 1 on errors (run it first on a new config)

Options:
  -c, --config FILE       LiteLLM-format config.yaml (or env CONFIG_FILE_PATH)
  -p, --port N            port to listen on (default 4000, or env PORT)
      --host HOST         address to bind (default 0.0.0.0, or env HOST)
      --num_workers N     worker processes sharing the port (default 1)
      --detailed_debug    debug-level logs
  -h, --help              this help
  -v, --version           print the version

Environment: DATABASE_URL (sqlite:PATH | postgres://...), REDIS_URL,
LITELLM_MASTER_KEY / MERIDIAN_MASTER_KEY, LOG_LEVEL.`;

export class UsageError extends Error {}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        port: { type: "string", short: "p" },
        host: { type: "string" },
        num_workers: { type: "string" },
        "num-workers": { type: "string" },
        detailed_debug: { type: "boolean" },
        debug: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== "check"))
    throw new UsageError(`unexpected argument "${positionals.join(" ")}" (the only command is "check")`);
  const port = intOpt("--port", (values.port as string | undefined) ?? env.PORT, 4000, 0, 65535);
  const numWorkers = intOpt(
    "--num_workers",
    (values.num_workers ?? values["num-workers"]) as string | undefined,
    1,
    1,
    256,
  );
  return {
    command: positionals[0] === "check" ? "check" : "serve",
    config: (values.config as string | undefined) ?? env.CONFIG_FILE_PATH ?? undefined,
    port,
    host: (values.host as string | undefined) ?? env.HOST ?? "0.0.0.0",
    numWorkers,
    detailedDebug: Boolean(values.detailed_debug || values.debug),
    help: Boolean(values.help),
    version: Boolean(values.version),
  };
}

function intOpt(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}
