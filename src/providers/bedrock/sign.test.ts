import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { signedHeaders, signer } from "./sign.js";

interface Vector {
  name: string;
  method: string;
  origin: string;
  path: string;
  query: Record<string, string>;
  body: string;
  authorization: string;
}

const suite = JSON.parse(
  readFileSync(join(import.meta.dirname, "fixtures", "sigv4-vectors.json"), "utf8"),
) as {
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  service: string;
  date: string;
  vectors: Vector[];
};

describe("SigV4 signing (the AWS test suite's vectors)", () => {
  const s = signer({ ...suite.credentials, sessionToken: undefined, region: suite.region }, suite.service);
  for (const v of suite.vectors) {
    it(v.name, async () => {
      const h = await signedHeaders(s, { ...v, headers: {} }, new Date(suite.date));
      expect(h["x-amz-date"]).toBe("20150830T123600Z");
      expect(h.authorization).toBe(v.authorization);
    });
  }

  it("a changed byte of the body or path changes the signature", async () => {
    const base = {
      method: "POST",
      origin: "https://bedrock-runtime.eu-central-1.amazonaws.com",
      headers: {},
    };
    const at = new Date(suite.date);
    const a = await signedHeaders(s, { ...base, path: "/model/m/converse", body: "{}" }, at);
    const b = await signedHeaders(s, { ...base, path: "/model/m/converse", body: "{ }" }, at);
    const c = await signedHeaders(s, { ...base, path: "/model/n/converse", body: "{}" }, at);
    expect(new Set([a.authorization, b.authorization, c.authorization]).size).toBe(3);
  });

  it("temporary credentials add x-amz-security-token and sign it", async () => {
    const t = signer({ ...suite.credentials, sessionToken: "tok/123", region: suite.region }, suite.service);
    const h = await signedHeaders(
      t,
      { method: "GET", origin: "https://example.amazonaws.com", path: "/", headers: {}, body: "" },
      new Date(suite.date),
    );
    expect(h["x-amz-security-token"]).toBe("tok/123");
    expect(h.authorization).toContain("SignedHeaders=host;x-amz-date;x-amz-security-token");
  });
});
