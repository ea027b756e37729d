import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsSettings } from "../../router/deployment.js";
import { NodeSha256 } from "./sha256.js";

export interface SignInput {
  readonly method: string;
  /** scheme://host[:port] the request goes to. */
  readonly origin: string;
  /** The path as sent on the wire (already percent-encoded), without a query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly query?: Readonly<Record<string, string>>;
}

/** One signer per credentials: SignatureV4 caches derived signing keys per day. */
export function signer(aws: AwsSettings, service = "bedrock"): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey,
      ...(aws.sessionToken ? { sessionToken: aws.sessionToken } : {}),
    },
    region: aws.region,
    service,
    sha256: NodeSha256,
    // Bedrock, like every AWS service but S3, signs the path encoded once more.
    uriEscapePath: true,
    // No x-amz-content-sha256 header: only S3 wants it; the payload hash is signed either way.
    applyChecksum: false,
  });
}

/**
 * SigV4 headers for one request: the given headers plus `host`, `x-amz-date`, `authorization` and,
 * with temporary credentials, `x-amz-security-token`. `host` is signed but left for the client to
 * send (undici writes it from the origin, byte for byte what was signed).
 */
export async function signedHeaders(
  s: SignatureV4,
  req: SignInput,
  at?: Date,
): Promise<Record<string, string>> {
  const u = new URL(req.origin);
  const signed = await s.sign(
    {
      method: req.method,
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: req.path,
      query: { ...req.query },
      headers: { ...req.headers, host: u.host },
      body: req.body,
    },
    at ? { signingDate: at } : undefined,
  );
  const { host: _host, ...rest } = signed.headers;
  return rest;
}
