import { type Agent, request } from "node:http";

/**
 * An HTTP client for the fault suite that never throws: every call ends as an Answer, with the
 * transport failure named when there was no response, so a run can count resets and hangs.
 */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Transport failure: ECONNRESET, ECONNREFUSED, "client_timeout", … (status 0). */
  error?: string;
  /** The response ended early (the socket closed mid-body). */
  truncated?: boolean;
}

export interface Call {
  method?: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Give up after this long (the suite never waits unbounded). */
  timeoutMs?: number;
  agent?: Agent;
}

export function send(base: string, c: Call): Promise<Answer> {
  const url = new URL(c.path, base);
  const payload =
    c.body === undefined ? undefined : typeof c.body === "string" ? c.body : JSON.stringify(c.body);
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = request(
      url,
      {
        method: c.method ?? (payload === undefined ? "GET" : "POST"),
        agent: c.agent ?? false,
        headers: {
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
          ...c.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        const end = (truncated: boolean) =>
          finish({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
            truncated,
          });
        res.on("end", () => end(false));
        res.on("aborted", () => end(true));
        res.on("error", () => end(true));
        res.on("close", () => end(!res.complete));
      },
    );
    const timer = setTimeout(() => {
      finish({ status: 0, headers: {}, text: "", error: "client_timeout" });
      req.destroy();
    }, c.timeoutMs ?? 15_000);
    req.on("error", (err: NodeJS.ErrnoException) =>
      finish({ status: 0, headers: {}, text: "", error: err.code ?? err.message }),
    );
    req.end(payload);
  });
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
