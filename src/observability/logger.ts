import pino, { type DestinationStream, type LogFn, type Logger } from "pino";
import { RepeatLimiter, type RepeatLimiterOptions } from "./repeat-limiter.js";

export type { Logger };

const WARN = 40;

export interface LoggerOptions {
  level?: string;
  sync?: boolean;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
  /** Repeat limiting of warn/error lines; the defaults suit production. */
  repeats?: Partial<RepeatLimiterOptions>;
}

/**
 * JSON lines to stdout, written asynchronously (never blocks a response). Api keys never enter log
 * objects in the first place. Warnings and errors pass a repeat limiter (repeat-limiter.ts), so an
 * outage that fails every request logs a few lines and a count, not a line and a stack per request;
 * being a pino hook, it covers every logger and child (store, Redis, upstream, unhandled errors).
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const limiter = new RepeatLimiter({ burst: 5, windowMs: 10_000, maxKinds: 1_000, ...opts.repeats });
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
      hooks: {
        logMethod(args, method, level) {
          if (level < WARN) return method.apply(this, args);
          limitRepeats(limiter, this, args, method);
        },
      },
    },
    opts.destination ??
      pino.destination({ dest: 1, sync: opts.sync ?? false, minLength: opts.sync ? 0 : 4096 }),
  );
}

type ErrLike = Error & { code?: unknown };

function limitRepeats(limiter: RepeatLimiter, self: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const obj =
    typeof args[0] === "object" && args[0] !== null ? (args[0] as Record<string, unknown>) : undefined;
  const msg = String((obj ? args[1] : args[0]) ?? "");
  const err = obj?.err as ErrLike | undefined;
  const code = String(err?.code ?? obj?.code ?? err?.name ?? "");
  const verdict = limiter.admit(`${msg}\u0000${code}`, (n, windowMs) =>
    method.call(
      self,
      { repeated: n, window_s: windowMs / 1000, ...(code ? { code } : {}) },
      `${msg} (repeated ${n.toLocaleString("en-US")} times in the last ${windowMs / 1000} s)`,
    ),
  );
  if (verdict === "drop") return;
  if (verdict === "again" && obj && err instanceof Error) {
    // the first line of the kind carried the stack; the repeats keep its type, message and code
    // (same prototype, so pino's serializer names it alike) with the frames cut off
    const brief = Object.create(Object.getPrototypeOf(err)) as ErrLike;
    Object.assign(brief, err, { message: err.message, stack: `${err.name}: ${err.message}` });
    method.apply(self, [{ ...obj, err: brief }, ...args.slice(1)] as Parameters<LogFn>);
    return;
  }
  method.apply(self, args);
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
