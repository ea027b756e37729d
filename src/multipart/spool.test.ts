import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeForm } from "./encode.js";
import { type FilePart, spoolMultipart } from "./spool.js";

/** A multipart request as node would hand it over, built by the platform's own FormData encoder. */
async function request(form: FormData, chunk = 64 * 1024): Promise<IncomingMessage> {
  const res = new Response(form);
  const bytes = Buffer.from(await res.arrayBuffer());
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  const req = Readable.from(parts) as unknown as IncomingMessage;
  req.headers = {
    "content-type": res.headers.get("content-type") ?? "",
    "content-length": String(bytes.length),
  };
  return req;
}

async function text(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe("spoolMultipart", () => {
  it("keeps 1 MiB in memory, the rest on disk; fields may follow the file; dispose removes the file", async () => {
    const audio = randomBytes(3 * 1024 * 1024 + 17);
    const fd = new FormData();
    fd.append("file", new Blob([audio], { type: "audio/mpeg" }), "a.mp3");
    fd.append("model", "whisper-1");
    fd.append("timestamp_granularities[]", "word");
    fd.append("timestamp_granularities[]", "segment");
    const form = await spoolMultipart(await request(fd), 10 * 1024 * 1024);
    expect(form.fields()).toEqual({ model: "whisper-1", "timestamp_granularities[]": ["word", "segment"] });
    expect(form.hasFile("file")).toBe(true);
    expect(form.spilledBytes()).toBe(audio.length - 1024 * 1024);
    const file = form.parts.find((p) => p.kind === "file") as FilePart;
    expect(file.size).toBe(audio.length);
    expect(existsSync(file.path as string)).toBe(true);

    // re-encoded twice (two attempts): the same parts each time, the model replaced
    for (let i = 0; i < 2; i++) {
      const enc = encodeForm(form, { model: "whisper-eu" }, new Set(["metadata"]));
      const bytes = await text(enc.body);
      expect(bytes.length).toBe(enc.length);
      const back = await new Response(new Uint8Array(bytes), {
        headers: { "content-type": enc.contentType },
      }).formData();
      expect(back.get("model")).toBe("whisper-eu");
      expect(back.getAll("timestamp_granularities[]")).toEqual(["word", "segment"]);
      const f = back.get("file") as File;
      expect(f.name).toBe("a.mp3");
      expect(Buffer.from(await f.arrayBuffer()).equals(audio)).toBe(true);
    }
    form.dispose();
    expect(existsSync(file.path as string)).toBe(false);
  });

  it("a body past the limit is body_too_large, even without a Content-Length", async () => {
    const fd = new FormData();
    fd.append("file", new Blob([randomBytes(300_000)]), "big.bin");
    const req = await request(fd);
    delete req.headers["content-length"];
    await expect(spoolMultipart(req, 100_000)).rejects.toMatchObject({ code: "body_too_large" });
  });

  it("a multipart content type without a boundary, or a body that is not multipart, is invalid_multipart", async () => {
    const req = Readable.from([Buffer.from("hello")]) as unknown as IncomingMessage;
    req.headers = { "content-type": "multipart/form-data" };
    await expect(spoolMultipart(req, 1000)).rejects.toMatchObject({ code: "invalid_multipart" });
    const bad = Readable.from([Buffer.from("--x\r\nnonsense")]) as unknown as IncomingMessage;
    bad.headers = { "content-type": "multipart/form-data; boundary=x" };
    await expect(spoolMultipart(bad, 1000)).rejects.toMatchObject({ code: "invalid_multipart" });
  });
});
