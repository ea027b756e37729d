import pino, { type Logger } from "pino";

export type { Logger };

/**
 * JSON lines to stdout, written asynchronously (never blocks a response). Anything that looks like
 * a credential is redacted by path, and api keys never enter log objects in the first place.
 */
export function createLogger(opts: { level?: string; sync?: boolean } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      redact: {
        paths: [
          "*.authorization",
          "*.api_key",
          "*.apiKey",
          "*['api-key']",
          "*['x-api-key']",
          "*.master_key",
          "*.password",
          "headers.authorization",
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
