import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../src/demo/fake-upstream.js";
import type { Answer } from "./client.js";
import { checkEnvelope, classify, customerOf, marker, outOfRegion, tagsOf } from "./ledger.js";
import { makeRng } from "./rng.js";

const req = (content: string, user?: string): RecordedRequest => ({
  method: "POST",
  url: "/v1/chat/completions",
  headers: {},
  body: { model: "chat", user, messages: [{ role: "user", content }] },
  aborted: false,
  finished: true,
});
const answer = (status: number, text: string, type = "application/json"): Answer => ({
  status,
  headers: { "content-type": type },
  text,
});

describe("the fault suite's ledger", () => {
  it("reads the customer and tags from the prompt's marker, else the body's user", () => {
    const r = req(`${marker("cust-eu-1", "after")} hi`, "someone-else");
    expect(customerOf(r.body)).toBe("cust-eu-1");
    expect(tagsOf(r.body)).toEqual(["after"]);
    expect(customerOf(req("no marker", "u-1").body)).toBe("u-1");
  });

  it("counts a pinned customer's request at an upstream outside its region, and only that", () => {
    const pins: Record<string, string | null> = { e: "eu", o: null };
    const out = outOfRegion(
      [
        { label: "eu1", region: "eu", requests: [req(marker("e")), req(marker("o"))] },
        { label: "us1", region: "us", requests: [req(marker("e")), req(marker("o"))] },
        { label: "any", region: null, requests: [req(marker("e"))] },
      ],
      (c) => pins[c],
    );
    expect(out).toEqual([
      { customer: "e", pinned: "eu", reached: "us1", tags: [] },
      { customer: "e", pinned: "eu", reached: "any", tags: [] },
    ]);
  });

  it("tells envelopes from other error bodies", () => {
    expect(checkEnvelope('{"error":{"message":"m","type":"t","param":null,"code":"c"}}')).toEqual({
      ok: true,
      code: "c",
    });
    expect(checkEnvelope('{"error":"Bad Request","message":"Client Error","statusCode":400}').ok).toBe(false);
    expect(checkEnvelope('{"error":{"message":"m","type":"t","param":null}}').ok).toBe(false);
    expect(checkEnvelope("").ok).toBe(false);
    expect(
      checkEnvelope(
        '{"error":{"message":"x\\n    at f (/app/src/a.ts:1:2)","type":"t","param":null,"code":"c"}}',
      ).ok,
    ).toBe(false);
  });

  it("calls broken successes, resets and non-envelopes crashes", () => {
    expect(classify(answer(200, '{"choices":[]}'), false)).toBe("ok");
    expect(classify(answer(200, "<html>"), false)).toBe("CRASH:200 not JSON");
    expect(classify(answer(200, '{"choices":[]}'), true)).toBe("CRASH:stream answered without event-stream");
    const sse = (s: string) => answer(200, s, "text/event-stream");
    expect(classify(sse('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n'), true)).toBe(
      "stream-ok",
    );
    expect(classify(sse("data: [DONE]\n\n"), true)).toBe("CRASH:stream without content");
    expect(classify(sse('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'), true)).toBe(
      "CRASH:stream without [DONE]",
    );
    expect(classify({ status: 0, headers: {}, text: "", error: "ECONNRESET" }, false)).toBe(
      "CRASH:ECONNRESET",
    );
    expect(classify(answer(503, '{"error":{"message":"m","type":"t","param":null,"code":"x"}}'), false)).toBe(
      "503 x",
    );
    expect(
      classify(
        answer(500, '{"error":{"message":"m","type":"t","param":null,"code":"internal_error"}}'),
        false,
      ),
    ).toBe("CRASH:500 internal_error");
  });

  it("replays the same choices from the same seed", () => {
    const a = makeRng(42);
    const b = makeRng(42);
    const seq = (r: typeof a) => Array.from({ length: 20 }, () => r.int(1000));
    expect(seq(a)).toEqual(seq(b));
    expect(seq(makeRng(43))).not.toEqual(seq(makeRng(42)));
  });
});
