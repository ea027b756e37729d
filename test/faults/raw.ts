import { connect } from "node:net";

/** What came back on a raw socket: the status line's code, the headers block and the body. */
export interface RawAnswer {
  status: number;
  head: string;
  body: string;
  /** The socket closed or errored without any answer. */
  error?: string;
}

/**
 * Write `chunks` to a fresh connection (waiting `gapMs` between them) and read until the server
 * closes or `timeoutMs` passes. For inputs a well-behaved HTTP client would refuse to send.
 */
export function rawExchange(
  port: number,
  chunks: ReadonlyArray<string | Buffer>,
  o: { gapMs?: number; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parse(Buffer.concat(got).toString("latin1"), error));
    };
    const timer = setTimeout(
      () => finish(got.length ? undefined : "no answer in time"),
      o.timeoutMs ?? 5_000,
    );
    sock.on("data", (d: Buffer) => {
      got.push(d);
      // one full response is enough: stop when its declared body has arrived
      const text = Buffer.concat(got).toString("latin1");
      const p = parse(text);
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(p.head);
      if (p.status && len && Buffer.byteLength(p.body, "latin1") >= Number(len[1])) finish();
    });
    sock.on("error", (e: NodeJS.ErrnoException) => finish(got.length ? undefined : (e.code ?? e.message)));
    sock.on("close", () => finish(got.length ? undefined : "closed without an answer"));
    sock.on("connect", async () => {
      for (const c of chunks) {
        if (settled || sock.destroyed) return;
        sock.write(c);
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
      }
    });
  });
}

function parse(text: string, error?: string): RawAnswer {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  let body = end < 0 ? "" : text.slice(end + 4);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = unchunk(body);
  // bodies are UTF-8 on the wire; latin1 above only kept the bytes intact while framing
  return { status, head, body: Buffer.from(body, "latin1").toString("utf8"), error };
}

function unchunk(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const nl = s.indexOf("\r\n", i);
    if (nl < 0) break;
    const n = Number.parseInt(s.slice(i, nl), 16);
    if (!Number.isFinite(n) || n === 0) break;
    out += s.slice(nl + 2, nl + 2 + n);
    i = nl + 2 + n + 2;
  }
  return out;
}
