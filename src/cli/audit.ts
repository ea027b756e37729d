import { parseArgs } from "node:util";

export const AUDIT_USAGE = `Usage: meridian audit verify [--config FILE] [--database_url URL] [--json]

Recomputes every spend-log hash chain from the database and names each missing, inserted or
edited record by chain, sequence number and call id. Exit code 0: intact; 1: tampered;
2: usage or configuration error; 3: the database could not be read.
The database: --database_url, else the config's general_settings.database_url, else DATABASE_URL.`;

/** `meridian audit …`: returns the exit code. Output goes to the given writers (tests capture it). */
export async function runAudit(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        database_url: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    err(`meridian audit: ${(e as Error).message}\n\n${AUDIT_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(`${AUDIT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "verify") {
    err(`meridian audit: expected the subcommand "verify"\n\n${AUDIT_USAGE}\n`);
    return 2;
  }
  let url = values.database_url as string | undefined;
  const configFile = (values.config as string | undefined) ?? env.CONFIG_FILE_PATH;
  if (!url && configFile) {
    const { ConfigError, loadConfigFile } = await import("../config/load.js");
    try {
      url = loadConfigFile(configFile, env).general.databaseUrl;
    } catch (e) {
      if (e instanceof ConfigError) {
        err(`meridian: invalid configuration\n${e.message}\n`);
        return 2;
      }
      throw e;
    }
  }
  url ??= env.DATABASE_URL || undefined;
  const [{ openStore }, { verifySpendLog, formatReport }] = await Promise.all([
    import("../store/customers.js"),
    import("../audit/verify.js"),
  ]);
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(url);
  } catch (e) {
    err(`meridian audit: cannot open the database: ${(e as Error).message}\n`);
    return 3;
  }
  try {
    const report = await verifySpendLog(store.spend);
    out(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    err(`meridian audit: the spend log could not be read: ${(e as Error).message}\n`);
    return 3;
  } finally {
    await store.close();
  }
}
