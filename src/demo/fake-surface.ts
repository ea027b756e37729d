import { createHash } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { Busboy } from "@fastify/busboy";

/** A multipart request as the fake upstream received it: fields, and each file's size and digest. */
export interface ReceivedForm {
  fields: Record<string, string>;
  files: Array<{ name: string; filename: string; contentType: string; size: number; sha256: string }>;
}

/** File bytes of a parsed form, kept beside it (not in the recorded shape tests compare). */
const CONTENTS = new WeakMap<ReceivedForm, Buffer[]>();

/**
 * Files and batches as OpenAI keeps them: per upstream, so an id made on one deployment's upstream is
 * unknown (404) on every other — the property routing by affinity relies on.
 */
export class FakeObjects {
  private readonly files = new Map<string, { meta: Record<string, unknown>; content: Buffer }>();
  private readonly batches = new Map<string, Record<string, unknown>>();
  private n = 0;

  constructor(private readonly label: string) {}

  /** Answers a files/batches request; false when the path is not one. */
  answer(
    res: ServerResponse,
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    form: ReceivedForm | undefined,
    query = "",
  ): boolean {
    const m = /\/(files|batches)(?:\/([^/]+))?(?:\/(content|cancel))?$/.exec(path);
    if (!m) return false;
    const [, kind, rawId, action] = m;
    const id = rawId ? decodeURIComponent(rawId) : undefined;
    const created_at = Math.floor(Date.now() / 1000);
    if (kind === "files") {
      if (!id && method === "POST") {
        const f = form?.files[0];
        const fileId = `file-${this.label}-${++this.n}`;
        const meta = {
          id: fileId,
          object: "file",
          bytes: f?.size ?? 0,
          created_at,
          filename: f?.filename ?? "upload",
          purpose: form?.fields.purpose ?? "batch",
          status: "processed",
        };
        this.files.set(fileId, { meta, content: CONTENTS.get(form as ReceivedForm)?.[0] ?? Buffer.alloc(0) });
        send(res, meta);
        return true;
      }
      if (!id) {
        send(
          res,
          page(
            [...this.files.values()].map((f) => f.meta),
            query,
            10_000,
          ),
        );
        return true;
      }
      const file = this.files.get(id);
      if (!file) return notFound(res, `No such File object: ${id}`);
      if (action === "content") {
        res.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": file.content.length,
        });
        res.end(file.content);
      } else if (method === "DELETE") {
        this.files.delete(id);
        send(res, { id, object: "file", deleted: true });
      } else send(res, file.meta);
      return true;
    }
    if (!id && method === "POST") {
      const input = String(body?.input_file_id ?? "");
      if (!this.files.has(input)) return notFound(res, `No such File object: ${input}`);
      const batch = {
        id: `batch-${this.label}-${++this.n}`,
        object: "batch",
        endpoint: body?.endpoint,
        input_file_id: input,
        completion_window: body?.completion_window,
        status: "validating",
        created_at,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: null,
      };
      this.batches.set(batch.id, batch);
      send(res, batch);
      return true;
    }
    if (!id) {
      send(res, page([...this.batches.values()], query, 20));
      return true;
    }
    const batch = this.batches.get(id);
    if (!batch) return notFound(res, `No such Batch object: ${id}`);
    if (action === "cancel") batch.status = "cancelling";
    send(res, batch);
    return true;
  }
}

/**
 * One page of a list as OpenAI pages it: newest first, `limit` items (default per kind) after the
 * id in `after`, `has_more` when more follow, first_id/last_id of the page.
 */
function page(all: Record<string, unknown>[], query: string, defaultLimit: number): Record<string, unknown> {
  const q = new URLSearchParams(query.replace(/^\?/, ""));
  const limit = Number(q.get("limit") ?? defaultLimit);
  const newest = [...all].reverse();
  const after = q.get("after");
  const from = after === null ? 0 : newest.findIndex((o) => o.id === after) + 1;
  const data = newest.slice(from, from + limit);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: from + limit < newest.length,
  };
}

function notFound(res: ServerResponse, message: string): true {
  const s = JSON.stringify({ error: { message, type: "invalid_request_error", param: "id", code: null } });
  res.writeHead(404, { "content-type": "application/json", "content-length": Buffer.byteLength(s) });
  res.end(s);
  return true;
}

/** Parse a buffered multipart body (the fake may buffer: it stands in for OpenAI, not for Meridian). */
export function parseForm(headers: IncomingHttpHeaders, raw: Buffer): Promise<ReceivedForm | undefined> {
  return new Promise((resolve) => {
    const form: ReceivedForm = { fields: {}, files: [] };
    let bb: ReturnType<typeof Busboy>;
    try {
      bb = Busboy({ headers: headers as IncomingHttpHeaders & { "content-type": string } });
    } catch {
      return resolve(undefined);
    }
    const pending: Promise<void>[] = [];
    bb.on("field", (name, value) => {
      form.fields[name] = value;
    });
    bb.on("file", (name, file, filename, _enc, contentType) => {
      const hash = createHash("sha256");
      let size = 0;
      pending.push(
        new Promise((done) => {
          file.on("data", (c: Buffer) => {
            size += c.length;
            hash.update(c);
          });
          const bytes: Buffer[] = [];
          file.on("data", (c: Buffer) => bytes.push(c));
          file.on("end", () => {
            form.files.push({ name, filename, contentType, size, sha256: hash.digest("hex") });
            CONTENTS.set(form, [...(CONTENTS.get(form) ?? []), Buffer.concat(bytes)]);
            done();
          });
        }),
      );
    });
    bb.on("finish", () => void Promise.all(pending).then(() => resolve(form)));
    bb.on("error", () => resolve(undefined));
    Readable.from([raw]).pipe(bb);
  });
}

/**
 * The fake's answers for moderations, images, audio and rerank, in OpenAI's wire format (rerank in
 * Cohere's, as LiteLLM serves it). Returns false for any other path.
 */
export function answerSurface(
  res: ServerResponse,
  path: string,
  label: string,
  hits: number,
  body: Record<string, unknown> | undefined,
  form: ReceivedForm | undefined,
  headers: Record<string, string> | undefined,
): boolean {
  const fields: Record<string, unknown> = form?.fields ?? body ?? {};
  const model = typeof fields.model === "string" ? fields.model : "fake-model";
  const created = Math.floor(Date.now() / 1000);
  if (path.endsWith("/moderations")) {
    const inputs = Array.isArray(fields.input) ? fields.input : [fields.input];
    send(
      res,
      {
        id: `modr-fake-${label}-${hits}`,
        model,
        results: inputs.map(() => ({
          flagged: false,
          categories: { harassment: false, violence: false },
          category_scores: { harassment: 0.001, violence: 0.002 },
        })),
      },
      headers,
    );
    return true;
  }
  if (/\/images\/(generations|edits|variations)$/.test(path)) {
    const b64 = fields.response_format === "b64_json";
    const image = Buffer.from(`fake image from ${label}`).toString("base64");
    send(
      res,
      {
        created,
        data: [b64 ? { b64_json: image } : { url: `https://images.example/${label}/${hits}.png` }],
        usage: { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
      },
      headers,
    );
    return true;
  }
  if (path.endsWith("/audio/speech")) {
    // Two writes, so a client sees the answer stream.
    res.writeHead(200, { "content-type": "audio/mpeg", ...headers });
    res.write(Buffer.from(`ID3 fake speech from ${label}: `));
    res.end(Buffer.from(String(fields.input ?? "")));
    return true;
  }
  if (/\/audio\/(transcriptions|translations)$/.test(path)) {
    const f = form?.files[0];
    const text = `Transcribed by ${label}: ${f?.size ?? 0} bytes of ${f?.filename ?? "nothing"}`;
    if (fields.response_format === "text") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", ...headers });
      res.end(text);
    } else send(res, { text, usage: { type: "duration", seconds: 3 } }, headers);
    return true;
  }
  if (path.endsWith("/rerank")) {
    const docs = Array.isArray(fields.documents) ? fields.documents : [];
    send(
      res,
      {
        id: `rerank-fake-${label}-${hits}`,
        results: docs.map((_, index) => ({ index, relevance_score: 1 / (index + 1) })),
        meta: { billed_units: { search_units: 1 } },
      },
      headers,
    );
    return true;
  }
  return false;
}

function send(res: ServerResponse, body: unknown, headers?: Record<string, string>): void {
  const s = JSON.stringify(body);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(s),
    ...headers,
  });
  res.end(s);
}
