import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GoogleFake, TokenFake } from "../../../test/fakes/vertex.js";
import { type Harness, post, startHarness } from "../../../test/harness.js";
import { AttemptRefused } from "../contract.js";
import { readServiceAccount, TokenSource } from "./auth.js";

const tokens = new TokenFake();
beforeAll(async () => {
  await tokens.start();
});
afterAll(async () => {
  await tokens.stop();
});

async function refusal(p: Promise<unknown>): Promise<AttemptRefused> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AttemptRefused);
    return err as AttemptRefused;
  }
  throw new Error("expected a refusal");
}

describe("service-account tokens (google-auth-library JWT client against the fake token endpoint)", () => {
  it("a signed assertion gets a token; it is cached while fresh", async () => {
    tokens.expiresIn = 3600;
    const s = new TokenSource(readServiceAccount(JSON.stringify(tokens.serviceAccount())));
    const before = tokens.issued.length;
    const a = await s.token("d");
    const b = await s.token("d");
    expect(tokens.isValid(a)).toBe(true);
    expect(b).toBe(a);
    expect(tokens.issued.length - before).toBe(1);
  });

  it("concurrent attempts before the first token share one fetch", async () => {
    const s = new TokenSource(readServiceAccount(JSON.stringify(tokens.serviceAccount())));
    const before = tokens.issued.length;
    const got = await Promise.all(Array.from({ length: 10 }, () => s.token("d")));
    expect(new Set(got).size).toBe(1);
    expect(tokens.issued.length - before).toBe(1);
  });

  it("a token near its expiry is refreshed before use", async () => {
    tokens.expiresIn = 60; // inside the library's 5-minute early-refresh window
    const s = new TokenSource(readServiceAccount(JSON.stringify(tokens.serviceAccount())));
    const a = await s.token("d");
    const b = await s.token("d");
    expect(b).not.toBe(a);
    expect(tokens.isValid(b)).toBe(true);
    tokens.expiresIn = 3600;
  });

  it("a key the endpoint does not know: the deployment's auth failure, with Google's reason and no key", async () => {
    const key = tokens.foreignServiceAccount();
    const r = await refusal(new TokenSource(readServiceAccount(JSON.stringify(key))).token("deployment x"));
    expect(r.failure).toMatchObject({ kind: "auth", status: 401, code: "upstream_credentials_failed" });
    expect(r.failure.message).toMatch(
      /deployment x could not get an access token .*invalid_grant: Invalid JWT Signature/,
    );
    expect(r.failure.message).not.toContain("PRIVATE KEY");
    expect(tokens.refused.at(-1)).toBe("Invalid JWT Signature.");
  });

  it("the token endpoint failing or unreachable is transient (retried, may fall over), not the client's", async () => {
    tokens.failNext = 503;
    const s = new TokenSource(readServiceAccount(JSON.stringify(tokens.serviceAccount())));
    expect((await refusal(s.token("d"))).failure).toMatchObject({ kind: "server", status: 502 });
    const dead = { ...tokens.serviceAccount(), token_uri: "http://127.0.0.1:9/token" };
    const r = await refusal(new TokenSource(readServiceAccount(JSON.stringify(dead))).token("d"));
    expect(r.failure).toMatchObject({ kind: "connection", status: 502, code: "upstream_credentials_failed" });
  });

  it("vertex_credentials is the key's JSON or a path to it; anything else is refused without echoing it", () => {
    const dir = mkdtempSync(join(tmpdir(), "meridian-sa-"));
    try {
      const file = join(dir, "sa.json");
      writeFileSync(file, JSON.stringify(tokens.serviceAccount()));
      expect(readServiceAccount(file).client_email).toBe(tokens.email);
      expect(() => readServiceAccount('{"private_key": "secret-bits"}')).toThrow(/client_email/);
      expect(() => readServiceAccount("{not json secret-bits")).toThrow(/not valid JSON/);
      expect(() => readServiceAccount("{not json secret-bits")).not.toThrow(/secret-bits/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a deployment whose credentials are refused, in the gateway", () => {
  const euA = new GoogleFake("europe-west4", { tokens });
  const euB = new GoogleFake("eu", { tokens });
  let h: Harness;
  let dir: string;
  const user = "cust-eu";

  beforeAll(async () => {
    await euA.start();
    await euB.start();
    dir = mkdtempSync(join(tmpdir(), "meridian-vertex-"));
    const bad = join(dir, "bad.json");
    const good = join(dir, "good.json");
    writeFileSync(bad, JSON.stringify(tokens.foreignServiceAccount()));
    writeFileSync(good, JSON.stringify(tokens.serviceAccount()));
    const vx = (id: string, loc: string, fake: GoogleFake, key: string, order: number) => `
  - model_name: gem
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_location: ${loc}
      vertex_credentials: ${key}
      api_base: ${fake.url}
      order: ${order}
    model_info: { id: ${id} }`;
    h = await startHarness({
      yaml: `model_list:${vx("bad-eu-a", "europe-west4", euA, bad, 1)}${vx("eu-b", "eu", euB, good, 2)}
router_settings: { num_retries: 1, cooldown_time: 60 }
general_settings: { master_key: sk-1234 }
`,
      upstreams: [],
    });
    expect(
      (await post(`${h.url}/end_user/new`, { user_id: user, allowed_model_region: "eu" }, h.auth)).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await euA.stop();
    await euB.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    euA.reset();
    euB.reset();
  });

  const chat = () =>
    post(
      `${h.url}/v1/chat/completions`,
      { model: "gem", user, messages: [{ role: "user", content: "hi" }] },
      h.auth,
    );

  it("no byte reaches the upstream without a token; the client learns it was the deployment's credentials", async () => {
    const r = await chat();
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "upstream_credentials_failed", type: "auth_error" });
    expect(r.json.error.message).toMatch(/bad-eu-a/);
    expect(euA.hits).toBe(0);
  });

  it("then the deployment is cooled like any misconfigured one, and the next eu deployment serves", async () => {
    const r = await chat();
    expect(r.status).toBe(200);
    expect(r.headers.get("x-litellm-model-id")).toBe("eu-b");
    expect(r.json.choices[0].message.content).toBe(euB.text());
    expect(euA.hits).toBe(0);
  });
});
