import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type Fleet, startFleet } from "../../test/fleet.js";
import { get, post } from "../../test/harness.js";
import { dropSchema, TEST_PG_URL, uniqueName } from "../../test/testkit.js";

/**
 * Property, through real HTTP on raw sockets (so header bytes, repeats and name case are exactly
 * what a client sends): for every way of naming a pinned customer — every identity header and body
 * field, repeated, in any name case, NFC or NFD, padded, and with flaws (percent-escapes, latin1
 * bytes, control characters, a conflicting repeat) — the request is served in its region or
 * refused, and no byte reaches the other region. Unflawed namings must be served.
 *
 * Not a spelling of a customer: a percent-encoded id in the body (JSON carries Unicode, so `%C3`
 * there is literal text) and a different letter case (ids are case-sensitive, as in LiteLLM).
 */
const PLACES = [
  "x-litellm-customer-id",
  "x-litellm-end-user-id",
  "user",
  "litellm_metadata.user",
  "metadata.user_id",
  "safety_identifier",
] as const;
type Place = (typeof PLACES)[number];
const isHeader = (p: Place) => p.startsWith("x-");
const PINNED = ["eucust", "müller", "Zoë Ångström"];

const namingArb = fc.record({
  customer: fc.constantFrom(...PINNED),
  places: fc.subarray([...PLACES], { minLength: 1 }),
  repeats: fc.integer({ min: 1, max: 3 }),
  cases: fc.array(fc.constantFrom("lower", "upper", "mixed"), { minLength: 3, maxLength: 3 }),
  spellings: fc.array(fc.constantFrom("plain", "nfd", "spaces", "tabs"), { minLength: 3, maxLength: 3 }),
  flaw: fc.option(
    fc.record({
      kind: fc.constantFrom("percent", "latin1", "control", "conflict", "number"),
      at: fc.nat(5),
    }),
    { nil: undefined, freq: 2 },
  ),
  stream: fc.boolean(),
});
type Naming = typeof namingArb extends fc.Arbitrary<infer T> ? T : never;

function spell(id: string, how: string): string {
  if (how === "nfd") return id.normalize("NFD");
  if (how === "spaces") return `  ${id} `;
  if (how === "tabs") return `\t${id}\t`;
  return id;
}

function cased(name: string, how: string): string {
  if (how === "upper") return name.toUpperCase();
  if (how === "mixed") return name.replace(/(^|-)([a-z])/g, (_m, d, c) => d + c.toUpperCase());
  return name;
}

/** The request for a naming, and whether it must be refused (a flaw where the id is read). */
function build(n: Naming): { headers: Buffer[]; body: Record<string, unknown>; mustRefuse: boolean } {
  const flawed = n.flaw ? n.places[n.flaw.at % n.places.length] : undefined;
  const winner = PLACES.find((p) => n.places.includes(p));
  let applied = false;
  const headers: Buffer[] = [];
  const body: Record<string, unknown> = {
    model: "gpt-3.5-turbo",
    messages: [{ role: "user", content: "hi" }],
  };
  if (n.stream) body.stream = true;
  for (const p of n.places) {
    const flaw = p === flawed ? n.flaw?.kind : undefined;
    if (isHeader(p)) {
      for (let r = 0; r < n.repeats; r++) {
        let v = spell(n.customer, n.spellings[r]);
        let enc: BufferEncoding = "utf8";
        if (r === 0 && flaw === "percent") {
          const pct = encodeURIComponent(n.customer);
          v = pct !== n.customer ? pct : `%${n.customer.charCodeAt(0).toString(16)}${n.customer.slice(1)}`;
          applied = true;
        } else if (r === 0 && flaw === "latin1" && /[^\x20-\x7e]/.test(n.customer)) {
          v = n.customer;
          enc = "latin1";
          applied = true;
        } else if (r === 0 && flaw === "control") {
          v = `${n.customer.slice(0, 2)}${n.customer.length % 2 ? "\t" : "\u0085"}${n.customer.slice(2)}`;
          applied = true;
        }
        headers.push(Buffer.concat([Buffer.from(`${cased(p, n.cases[r])}: `), Buffer.from(v, enc)]));
      }
      if (flaw === "conflict") {
        headers.push(Buffer.from(`${p}: uscust`));
        applied = true;
      }
    } else {
      let v: unknown = spell(n.customer, n.spellings[0]);
      if (flaw === "control") {
        v = `${n.customer.slice(0, 3)}${n.customer.length % 2 ? "\u0000" : "\n"}${n.customer.slice(3)}`;
        applied = true;
      } else if (flaw === "number") {
        v = 42;
        applied = true;
      }
      if (p === "user") body.user = v;
      else if (p === "litellm_metadata.user") body.litellm_metadata = { user: v };
      else if (p === "metadata.user_id") body.metadata = { user_id: v };
      else body.safety_identifier = v;
    }
  }
  return { headers, body, mustRefuse: applied && flawed === winner };
}

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 request written byte for byte (node's client would fold or reject these headers). */
function rawPost(port: number, path: string, headers: Buffer[], body: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    sock.setTimeout(10_000, () => sock.destroy(new Error("raw request timed out")));
    let done = false;
    const finish = () => {
      if (done) return;
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return;
      const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
      const h: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(":");
        h[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = text.slice(split + 4);
      // stop at the body's end rather than wait for the socket to close
      const complete =
        h["transfer-encoding"] === "chunked"
          ? rest.endsWith("0\r\n\r\n")
          : Buffer.byteLength(rest) >= Number(h["content-length"] ?? Number.POSITIVE_INFINITY);
      if (!complete && !sock.readableEnded) return;
      done = true;
      sock.destroy();
      resolve({ status: Number(statusLine.split(" ")[1]), headers: h, body: rest });
    };
    sock.on("data", (c) => {
      chunks.push(c);
      finish();
    });
    sock.on("error", reject);
    sock.on("end", finish);
    const payload = Buffer.from(body);
    const head = [
      `POST ${path} HTTP/1.1`,
      "Host: 127.0.0.1",
      `Authorization: ${ADMIN.authorization}`,
      "Content-Type: application/json",
      `Content-Length: ${payload.length}`,
      "Connection: close",
    ].join("\r\n");
    const crlf = Buffer.from("\r\n");
    // write, not end: a half-closed client looks like one that left (the gateway aborts its call)
    sock.write(Buffer.concat([Buffer.from(head), crlf, ...headers.flatMap((x) => [x, crlf]), crlf, payload]));
  });
}

describe("identity property: a pinned customer, however named, is served in region or refused", () => {
  const schema = uniqueName("identity");
  let f: Fleet;
  let port: number;
  let A: string;

  beforeAll(async () => {
    f = await startFleet({ count: 1, databaseUrl: `${TEST_PG_URL}?schema=${schema}` });
    [A] = f.urls;
    port = f.servers[0].port;
    // one created in NFD: the admin API stores the NFC spelling
    for (const id of ["eucust", "mu\u0308ller", "Zoë Ångström"]) {
      const r = await post(`${A}/end_user/new`, { user_id: id, allowed_model_region: "eu" }, ADMIN);
      expect(r.status).toBe(200);
    }
    expect(
      (await post(`${A}/end_user/new`, { user_id: "uscust", allowed_model_region: "us" }, ADMIN)).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await f?.close();
    await dropSchema(schema);
  });

  it("holds for random namings through HTTP", async () => {
    let served = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(namingArb, async (n) => {
        const { headers, body, mustRefuse } = build(n);
        const eu0 = f.eu.hits;
        const us0 = f.us.hits;
        const r = await rawPost(port, "/v1/chat/completions", headers, JSON.stringify(body));
        expect(f.us.hits).toBe(us0);
        if (r.status === 200) {
          served++;
          expect(mustRefuse).toBe(false);
          expect(r.headers["x-litellm-model-region"]).toBe("eu");
          expect(f.eu.hits).toBe(eu0 + 1);
          return;
        }
        refused++;
        expect(f.eu.hits).toBe(eu0);
        expect(r.status).toBe(400);
        const err = JSON.parse(r.body).error;
        expect(["invalid_identity", "conflicting_identity", "invalid_request"]).toContain(err.code);
        expect(err.param).toBeTruthy();
        // an unflawed naming must not be refused
        expect(n.flaw).toBeDefined();
      }),
      { numRuns: 150 },
    );
    console.log(`identity property: ${served} served in eu, ${refused} refused, 0 reached us`);
  });

  it("the tester's cases: a repeated header and a UTF-8 header stay in region", async () => {
    const us0 = f.us.hits;
    for (let i = 0; i < 16; i++) {
      const r = await rawPost(
        port,
        "/chat/completions",
        [Buffer.from("x-litellm-customer-id: eucust"), Buffer.from("x-litellm-customer-id: eucust")],
        JSON.stringify({
          model: "gpt-3.5-turbo",
          messages: [{ role: "user", content: "x" }],
          user: "eucust",
        }),
      );
      expect(r.status).toBe(200);
      expect(r.headers["x-litellm-model-region"]).toBe("eu");
    }
    for (let i = 0; i < 8; i++) {
      const r = await rawPost(
        port,
        "/chat/completions",
        [Buffer.from("x-litellm-end-user-id: müller", "utf8")],
        JSON.stringify({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "x" }] }),
      );
      expect(r.status).toBe(200);
      expect(r.headers["x-litellm-model-region"]).toBe("eu");
    }
    expect(f.us.hits).toBe(us0);
  });

  it("a NUL in an id is a 400 naming the field, not a store error; readiness stays 200", async () => {
    const r = await post(
      `${A}/chat/completions`,
      { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "x" }], user: "eu\u0000cust" },
      ADMIN,
    );
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "invalid_identity", param: "user" });
    expect(r.headers.get("retry-after")).toBeNull();
    expect((await get(`${A}/health/readiness`)).status).toBe(200);
  });

  it("a cached unknown (unrestricted) end user is pinned as soon as it is created", async () => {
    const id = "late-cust";
    const chat = { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "x" }], user: id };
    // unknown under end_user_policy open: served anywhere, and that outcome is cached
    expect((await post(`${A}/chat/completions`, chat, ADMIN)).status).toBe(200);
    expect((await post(`${A}/end_user/new`, { user_id: id, allowed_model_region: "eu" }, ADMIN)).status).toBe(
      200,
    );
    const us0 = f.us.hits;
    for (let i = 0; i < 6; i++) {
      const r = await post(`${A}/chat/completions`, chat, ADMIN);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(f.us.hits).toBe(us0);
  });
});
