import { createHash } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { Busboy } from "@fastify/busboy";

/** A multipart request as the fake upstream received it: fields, and each file's size and digest. */
export interface ReceivedForm {
  fields: Record<string, string>;
  files: Array<{ name: string; filename: string; contentType: string; size: number; sha256: string }>;
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
          file.on("end", () => {
            form.files.push({ name, filename, contentType, size, sha256: hash.digest("hex") });
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
