import { ConfigError, loadConfigFile } from "../config/load.js";
import { checkReport } from "./check.js";

/** `meridian check --config FILE`: exit 0 when the config would start (warnings allowed), 1 when not. */
export function runCheck(file: string, env: NodeJS.ProcessEnv = process.env): number {
  let config: ReturnType<typeof loadConfigFile>;
  try {
    config = loadConfigFile(file, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`meridian check: ${file}: invalid configuration\n${err.message}\n`);
    return 1;
  }
  const report = checkReport(config);
  const out = [`meridian check: ${file}`, "", ...report.lines];
  if (report.warnings.length > 0)
    out.push("", `${report.warnings.length} warning(s):`, ...report.warnings.map((w) => `  warning: ${w}`));
  out.push("", "OK: the config is valid (nothing was contacted)");
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
