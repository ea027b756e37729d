import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (d: SourceData): Buffer | string =>
  typeof d === "string"
    ? d
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

/**
 * SHA-256 and HMAC-SHA-256 from node's crypto, in the shape SignatureV4 takes (`new Sha256(secret?)`).
 * Node's native hash signs a request several times faster than a JavaScript one; the fake Bedrock
 * verifies with @aws-crypto/sha256-js, so the two sides share no hashing code.
 */
export class NodeSha256 {
  private h: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }

  update(data: SourceData): void {
    this.h.update(bytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }

  reset(): void {
    this.h = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
  }
}
