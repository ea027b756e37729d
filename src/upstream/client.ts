import type { IncomingHttpHeaders } from "node:http";
import { type Dispatcher, Pool } from "undici";
import type { CancelSignal } from "./cancel.js";
import { ChunkQueue } from "./chunks.js";

/**
 * Concurrent upstream calls per origin before undici queues them. LLM calls last seconds, so this is
 * the number of calls in flight, not a socket budget: LiteLLM allows 1,000 (its httpx client's
 * max_connections). At 256, the 257th concurrent call to a slow upstream waited, unseen, for a free
 * connection; with 1,000 clients on loopback the p99 was 2.5-3.6 s at 256 and 1.0 s at 1,024.
 */
export const CONNECTIONS_PER_ORIGIN = 1_000;

/**
 * One keep-alive undici Pool per upstream origin, shared by every deployment on that origin.
 * Timeouts are per request (per deployment), so pools carry only connection settings.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly connectionsPerOrigin = CONNECTIONS_PER_ORIGIN) {}

  get(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: this.connectionsPerOrigin,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: 10_000 },
        pipelining: 1,
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => p.destroy())));
    this.pools.clear();
  }
}

export interface SendOptions {
  method?: "GET" | "POST" | "DELETE";
  path: string;
  headers: Readonly<Record<string, string>>;
  body: string | Buffer;
  signal: AbortSignal | CancelSignal;
  /** Time allowed until response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence allowed between body chunks. */
  bodyTimeoutMs: number;
}

/** undici dispatch options for one POST, with the deployment's timeouts. */
function dispatchOptions(o: SendOptions): Dispatcher.DispatchOptions {
  return {
    method: o.method ?? "POST",
    path: o.path,
    headers: o.headers,
    body: o.method === "GET" || o.method === "DELETE" ? undefined : o.body,
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
  };
}

/**
 * Ties the client's signal to one dispatched request. `start` goes in onRequestStart, which undici
 * may call again when it re-sends on a fresh connection: one listener at a time. `unlink` when done.
 */
function abortLink(signal: SendOptions["signal"]) {
  let onAbort: (() => void) | undefined;
  const unlink = () => {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    onAbort = undefined;
  };
  return {
    unlink,
    start(controller: Dispatcher.DispatchController) {
      unlink();
      if (signal.aborted) return controller.abort(signal.reason as Error);
      onAbort = () => controller.abort(signal.reason as Error);
      signal.addEventListener("abort", onAbort);
    },
  };
}

export interface BufferedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A non-streaming call whose whole body is gathered in one handler: no Readable and no async
 * iterator per response, which `request()` builds and a buffered answer never needs. An error
 * status keeps at most `maxErrorBody` bytes (it is read only for its message).
 */
export function sendBuffered(pool: Pool, o: SendOptions, maxErrorBody: number): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let limit = Number.POSITIVE_INFINITY;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    let settled = false;
    const link = abortLink(o.signal);
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      link.unlink();
      if (err) reject(err);
      else resolve({ statusCode, headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
    };
    pool.dispatch(dispatchOptions(o), {
      onRequestStart: link.start,
      onResponseStart(_controller, status, h) {
        if (status < 200) return; // 1xx: the real answer follows
        statusCode = status;
        headers = h;
        if (status >= 400) limit = maxErrorBody;
      },
      onResponseData(controller, chunk) {
        if (size >= limit) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= limit) {
          settle();
          controller.abort(new Error("error body cap reached"));
        }
      },
      onResponseEnd() {
        settle();
      },
      onResponseError(_controller, err) {
        settle(err);
      },
    });
  });
}

export interface StreamingResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ChunkQueue;
}

/**
 * A streaming call: resolves once the response headers are in, with the body as a ChunkQueue (see
 * chunks.ts). Errors before the headers reject; later ones come out of the body's iterator.
 */
export function sendStreaming(pool: Pool, o: SendOptions): Promise<StreamingResponse> {
  return new Promise((resolve, reject) => {
    let body: ChunkQueue | undefined;
    const link = abortLink(o.signal);
    pool.dispatch(dispatchOptions(o), {
      onRequestStart: link.start,
      onResponseStart(controller, statusCode, headers) {
        if (statusCode < 200) return;
        body = new ChunkQueue({
          pause: () => controller.pause(),
          resume: () => controller.resume(),
          destroy: (err) => controller.abort(err),
        });
        resolve({ statusCode, headers, body });
      },
      onResponseData(_controller, chunk) {
        body?.push(chunk);
      },
      onResponseEnd() {
        link.unlink();
        body?.finish();
      },
      onResponseError(_controller, err) {
        link.unlink();
        if (body) body.finish(err);
        else reject(err);
      },
    });
  });
}
