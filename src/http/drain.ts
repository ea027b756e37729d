import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { gatewayError } from "../errors.js";
import { callIdOf, cutByShutdown } from "../upstream/cancel.js";
import { failureReply } from "./failure.js";
import { streamErrorEvent } from "./sse.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What each open connection carries for the drain: its latest response, and when it went quiet. */
interface Tracked extends Socket {
  meridianRes?: ServerResponse;
  meridianQuiet?: { bytes: number; since: number; ticks: number };
}

/**
 * A connection idle this long during the drain is closed, as its keep-alive timeout would close it,
 * only sooner. A busy keep-alive client is idle for well under a millisecond between requests: its
 * next request gets the 503 and `connection: close` instead of a reset at the moment we close.
 */
const DRAIN_IDLE_MS = 500;
const REAP_EVERY_MS = 100;
/** Quiet over this many reaps too: a busy event loop reads waiting bytes between two reaps, not during a lag. */
const DRAIN_IDLE_REAPS = DRAIN_IDLE_MS / REAP_EVERY_MS;

export const SHUTTING_DOWN = gatewayError("shutting_down", undefined, {
  headers: { "retry-after": "1", connection: "close" },
});

/**
 * The connections of one HTTP server, for a shutdown that answers instead of resetting: while
 * draining, every response closes its connection after it (new requests are refused with 503
 * `shutting_down` by the access check), quiet connections are closed, and `cut()` answers whatever
 * is still in flight when the grace period ends.
 */
export class ConnectionDrain {
  private readonly open = new Set<Tracked>();
  private draining = false;
  private reaper: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private lastOpenedAt = 0;

  constructor(server: Server) {
    server.on("connection", (socket: Tracked) => {
      this.lastOpenedAt = Date.now();
      this.open.add(socket);
      socket.once("close", () => {
        this.open.delete(socket);
        if (this.open.size === 0) for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  /** The server's request listener: remembers each connection's current response. */
  wrap(handler: Handler): Handler {
    return (req, res) => {
      (req.socket as Tracked).meridianRes = res;
      if (this.draining) res.shouldKeepAlive = false;
      handler(req, res);
    };
  }

  get connections(): number {
    return this.open.size;
  }

  begin(): void {
    if (this.draining) return;
    this.draining = true;
    this.reaper = setInterval(() => this.reap(Date.now()), REAP_EVERY_MS);
    this.reaper.unref();
  }

  /**
   * Resolves once no connection is open and none has opened for `quietMs`, or after `maxMs`. Closing
   * the listener the instant the last connection closes races clients that reconnect at once: a
   * connection the kernel has accepted but node has not yet taken is reset when the listener goes.
   * A quiet spell first makes that window empty in practice.
   */
  async quiet(quietMs: number, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    for (;;) {
      const now = Date.now();
      if (now >= until) return;
      if (this.open.size === 0 && now - this.lastOpenedAt >= quietMs) return;
      await new Promise((r) => setTimeout(r, Math.min(25, until - now)));
    }
  }

  /** Resolves true once no connection is open, false if `ms` pass first. */
  empty(ms: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(this.open.size === 0);
      }, ms);
      this.waiters.push(done);
    });
  }

  /**
   * The grace period is over: a request not yet answered gets a 503 envelope, a stream one final
   * error event (`data: {"error": …}`, or a Responses stream's `event: error`), then each connection
   * is closed. The response is destroyed rather than ended, so its handler sees a departed client and
   * cancels the upstream call (an ended response would leave the call running and the upstream pools
   * waiting for it); the last bytes go straight to the socket. Whoever still holds the response finds
   * it sealed: writes are dropped, not thrown.
   */
  cut(): void {
    clearInterval(this.reaper);
    for (const socket of this.open) {
      const res = socket.meridianRes;
      if (!res || res.writableEnded || socket.destroyed) {
        socket.destroy();
        continue;
      }
      // the record says the shutdown ended it, not the client (upstream/cancel.ts)
      cutByShutdown.add(res);
      const close = () => res.destroy();
      if (!res.headersSent) {
        const f = failureReply(SHUTTING_DOWN);
        const body = JSON.stringify(f.body);
        let head = `HTTP/1.1 ${f.status} Service Unavailable\r\n`;
        for (const [k, v] of Object.entries(f.headers)) head += `${k}: ${v}\r\n`;
        // the call id its record is kept under (upstream/cancel.ts), as every other answer carries
        const callId = callIdOf.get(res);
        if (callId !== undefined) head += `x-litellm-call-id: ${callId}\r\n`;
        head += `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
        seal(res);
        socket.write(head + body, close);
      } else if (/content-type: text\/event-stream/i.test(headerBlock(res))) {
        // The blank lines end a partly written event, if any, so this one parses on its own; at an
        // event boundary they are no event at all.
        // In the stream's own form: a Responses stream's `event: error`, chat's `data: {"error": …}`.
        const event = `\n\n${streamErrorEvent(res, SHUTTING_DOWN.toJSON().error)}`;
        const chunked = (res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding;
        seal(res);
        // Framed here, straight to the socket, with the chunked body's terminator: the client sees a
        // complete response, not a cut one. (res.write followed by a raw terminator interleaved
        // wrongly on Node 26, whose response writes reach the socket later.)
        const bytes = Buffer.byteLength(event);
        socket.write(chunked ? `${bytes.toString(16)}\r\n${event}\r\n0\r\n\r\n` : event, close);
      } else {
        seal(res);
        close();
      }
    }
  }

  /** Close every connection now (after cut(), for clients that do not read their last bytes). */
  destroyAll(): void {
    clearInterval(this.reaper);
    for (const socket of this.open) socket.destroy();
  }

  private reap(now: number): void {
    for (const socket of this.open) {
      const res = socket.meridianRes;
      if (res && !res.writableFinished) {
        socket.meridianQuiet = undefined;
        continue;
      }
      const q = socket.meridianQuiet;
      if (!q || q.bytes !== socket.bytesRead)
        socket.meridianQuiet = { bytes: socket.bytesRead, since: now, ticks: 0 };
      else if (++q.ticks >= DRAIN_IDLE_REAPS && now - q.since >= DRAIN_IDLE_MS) socket.destroy();
    }
  }
}

/** The status line and headers as written (node keeps them; writeHead's headers are not readable). */
function headerBlock(res: ServerResponse): string {
  return (res as unknown as { _header?: string })._header ?? "";
}

function seal(res: ServerResponse): void {
  res.on("error", () => {});
  res.writeHead = () => res;
  res.write = () => true;
  res.end = () => res;
}
