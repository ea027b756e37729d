import { Writable } from "node:stream";
import { createLogger, type Logger } from "../src/observability/logger.js";

/** A real logger (every level, synchronous) whose lines land in `text`, to search them. */
export function captureLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: "trace", destination });
  return { logger, text: () => chunks.join("") };
}
