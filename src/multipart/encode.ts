import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { FormPart, SpooledForm } from "./spool.js";

export interface EncodedForm {
  readonly contentType: string;
  /** Exact byte length: upstreams that refuse chunked uploads get a Content-Length. */
  readonly length: number;
  readonly body: Readable;
}

/**
 * A fresh multipart/form-data body for one attempt: the client's parts in their order, with `set`
 * replacing fields of those names (the deployment's model) and `drop` left out (gateway-only keys).
 * File bytes stream from the spool (memory, then disk); nothing is copied whole.
 */
export function encodeForm(
  form: SpooledForm,
  set: Readonly<Record<string, string>>,
  drop: ReadonlySet<string>,
): EncodedForm {
  const boundary = `----meridian${randomBytes(12).toString("hex")}`;
  const pieces: Array<Buffer | FormPart> = [];
  const done = new Set<string>();
  const field = (name: string, value: string) => {
    pieces.push(Buffer.from(`--${boundary}\r\n${disposition(name)}\r\n\r\n${value}\r\n`));
  };
  for (const p of form.parts) {
    if (drop.has(p.name)) continue;
    if (p.kind === "field") {
      if (p.name in set) {
        if (!done.has(p.name)) field(p.name, set[p.name]);
        done.add(p.name);
      } else field(p.name, p.value);
      continue;
    }
    const ct = p.contentType.replace(/[\r\n]/g, "");
    pieces.push(
      Buffer.from(
        `--${boundary}\r\n${disposition(p.name)}; filename="${quoteSafe(p.filename)}"\r\nContent-Type: ${ct}\r\n\r\n`,
      ),
    );
    pieces.push(p);
    pieces.push(Buffer.from("\r\n"));
  }
  for (const [k, v] of Object.entries(set)) if (!done.has(k)) field(k, v);
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  let length = 0;
  for (const x of pieces) length += Buffer.isBuffer(x) ? x.length : x.kind === "file" ? x.size : 0;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    body: Readable.from(emit(pieces), { objectMode: false }),
  };
}

async function* emit(pieces: ReadonlyArray<Buffer | FormPart>): AsyncGenerator<Buffer> {
  for (const x of pieces) {
    if (Buffer.isBuffer(x)) {
      yield x;
      continue;
    }
    if (x.kind !== "file") continue;
    for (const b of x.head) yield b;
    if (x.path) for await (const c of createReadStream(x.path)) yield c as Buffer;
  }
}

function disposition(name: string): string {
  return `Content-Disposition: form-data; name="${quoteSafe(name)}"`;
}

/** As browsers do (WHATWG HTML): quotes and line breaks in names are percent-escaped. */
function quoteSafe(s: string): string {
  return s.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
