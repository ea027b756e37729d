import pino, { type Logger } from "pino";

export type { Logger };

/**
 * JSON lines to stdout, written asynchronously (never blocks a response). Api keys never enter log
 * objects in the first place.
 */
export function createLogger(opts: { level?: string; sync?: boolean } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      // Exact paths only: wildcard redaction costs ~2 % CPU per logged request. Request log lines are
      // built field by field and never carry keys; these cover errors that embed request options.
      redact: {
        paths: [
          "err.headers.authorization",
          "err.options.headers.authorization",
          "err.config.headers.authorization",
        ],
        censor: "[redacted]",
      },
    },
    pino.destination({ dest: 1, sync: opts.sync ?? false, minLength: opts.sync ? 0 : 4096 }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
