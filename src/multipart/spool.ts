import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Busboy } from "@fastify/busboy";
import { type GatewayError, gatewayError } from "../errors.js";

/**
 * Bytes of file content one upload keeps in memory; the rest goes to a private temporary file.
 * Starlette (under LiteLLM) spools at the same 1 MiB: a 20 MB recording costs 1 MiB of heap, not 20.
 */
export const MEMORY_SPOOL_BYTES = 1024 * 1024;

export interface FieldPart {
  readonly kind: "field";
  readonly name: string;
  readonly value: string;
}

export interface FilePart {
  readonly kind: "file";
  readonly name: string;
  readonly filename: string;
  readonly contentType: string;
  size: number;
  /** The first bytes, in memory. */
  readonly head: Buffer[];
  /** The rest, on disk (undefined when it all fit in memory). */
  path: string | undefined;
}

export type FormPart = FieldPart | FilePart;

/**
 * A multipart/form-data body, read whole before routing. The model may come after the file (the
 * openai SDK and OpenAI's curl examples send `file` first), so routing must wait for the end of the
 * body; holding it also lets a failed attempt retry or fall over with the same upload, as for JSON.
 * Memory stays bounded: file bytes beyond MEMORY_SPOOL_BYTES go to a temporary file in a private
 * directory, removed by dispose() when the answer is written.
 */
export class SpooledForm {
  constructor(
    readonly parts: readonly FormPart[],
    private dir: string | undefined,
  ) {}

  /**
   * The fields as a request body: what routing, validation and policy read (`model`, `user`, …).
   * A name sent more than once (`timestamp_granularities[]`) becomes an array.
   */
  fields(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of this.parts) {
      if (p.kind !== "field") continue;
      const had = out[p.name];
      if (had === undefined) out[p.name] = p.value;
      else out[p.name] = Array.isArray(had) ? [...had, p.value] : [had, p.value];
    }
    return out;
  }

  hasFile(name: string): boolean {
    return this.parts.some((p) => p.kind === "file" && (p.name === name || p.name === `${name}[]`));
  }

  /** Bytes of file content on disk (0 when the upload fit in memory). */
  spilledBytes(): number {
    let n = 0;
    for (const p of this.parts) if (p.kind === "file" && p.path) n += p.size - sum(p.head);
    return n;
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

function sum(bufs: readonly Buffer[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}

/**
 * Read a multipart/form-data request into a SpooledForm. Rejects with a GatewayError: `body_too_large`
 * past `limit` bytes (the caller closes the connection), `invalid_multipart` for a body busboy
 * cannot read. Temporary files are removed on failure.
 */
export function spoolMultipart(
  req: IncomingMessage,
  limit: number,
  memoryBytes = MEMORY_SPOOL_BYTES,
): Promise<SpooledForm> {
  return new Promise((resolve, reject) => {
    const ct = req.headers["content-type"] ?? "";
    if (!/;\s*boundary=/i.test(ct))
      return reject(gatewayError("invalid_multipart", { reason: "no_boundary" }));
    let bb: ReturnType<typeof Busboy>;
    try {
      bb = Busboy({
        headers: { ...req.headers, "content-type": ct },
        limits: { fieldSize: 1024 * 1024, parts: 1_000, fieldNameSize: 200, headerPairs: 100 },
      });
    } catch {
      return reject(gatewayError("invalid_multipart", { reason: "malformed" }));
    }
    const parts: FormPart[] = [];
    const pending: Promise<void>[] = [];
    const writers = new Set<WriteStream>();
    let dir: string | undefined;
    let memLeft = memoryBytes;
    let settled = false;
    let size = 0;
    const fail = (e: GatewayError) => {
      if (settled) return;
      settled = true;
      req.unpipe(bb);
      req.off("data", onData);
      for (const w of writers) w.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
      reject(e);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) fail(gatewayError("body_too_large", { limit: true }));
    };
    if (Number(req.headers["content-length"]) > limit) {
      settled = true;
      return reject(gatewayError("body_too_large", { limit: true }));
    }
    req.on("data", onData);
    bb.on("field", (name, value, nameTruncated, valueTruncated) => {
      if (nameTruncated || valueTruncated)
        return fail(gatewayError("invalid_multipart", { reason: "limits" }));
      parts.push({ kind: "field", name, value });
    });
    bb.on("file", (name, file, filename, _enc, mimeType) => {
      const part: FilePart = {
        kind: "file",
        name,
        filename,
        contentType: mimeType || "application/octet-stream",
        size: 0,
        head: [],
        path: undefined,
      };
      parts.push(part);
      let out: WriteStream | undefined;
      pending.push(
        new Promise<void>((done, broke) => {
          file.on("data", (chunk: Buffer) => {
            let c = chunk;
            if (settled) return;
            part.size += chunk.length;
            if (!out && memLeft > 0) {
              const keep = c.length <= memLeft ? c : c.subarray(0, memLeft);
              memLeft -= keep.length;
              part.head.push(keep);
              if (keep === c) return;
              c = c.subarray(keep.length);
            }
            if (!out) {
              dir ??= mkdtempSync(join(tmpdir(), "meridian-upload-"));
              part.path = join(dir, String(parts.length));
              out = createWriteStream(part.path, { mode: 0o600 });
              writers.add(out);
              out.on("error", broke);
            }
            if (!out.write(c)) {
              file.pause();
              out.once("drain", () => file.resume());
            }
          });
          file.on("end", () => {
            if (!out) return done();
            out.end(() => {
              writers.delete(out as WriteStream);
              done();
            });
          });
          file.on("error", broke);
        }),
      );
    });
    bb.on("partsLimit", () => fail(gatewayError("invalid_multipart", { reason: "limits" })));
    bb.on("error", () => fail(gatewayError("invalid_multipart", { reason: "malformed" })));
    bb.on("finish", () => {
      Promise.all(pending).then(
        () => {
          if (settled) return;
          settled = true;
          req.off("data", onData);
          resolve(new SpooledForm(parts, dir));
        },
        () => fail(gatewayError("invalid_multipart", { reason: "malformed" })),
      );
    });
    req.once("error", () => fail(gatewayError("invalid_multipart", { reason: "malformed" })));
    req.pipe(bb);
  });
}
