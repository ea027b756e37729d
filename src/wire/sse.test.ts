import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEvents, SseFramer, splitEvents } from "./sse.js";

const b = (s: string) => Buffer.from(s, "utf8");

/** Feed `chunks` through one framer: what each push returned (undefined kept), then the flush. */
function frame(chunks: readonly Buffer[]) {
  const f = new SseFramer();
  const pushed = chunks.map((c) => f.push(c));
  return { f, pushed, tail: f.flush() };
}

const joined = (r: ReturnType<typeof frame>) =>
  Buffer.concat([...r.pushed.filter((x) => x !== undefined), ...(r.tail ? [r.tail] : [])]);

describe("SseFramer", () => {
  it("hands back the very chunk when it ends on an event boundary (no copy, bytes untouched)", () => {
    const chunk = b('data: {"a":1}\n\ndata: {"b":2}\n\n');
    const f = new SseFramer();
    expect(f.push(chunk)).toBe(chunk);
    expect(f.events).toBe(2);
    expect(f.flush()).toBeUndefined();
  });

  it("holds an event split across chunks until it is whole, then forwards it in one piece", () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\n\n';
    const r = frame([...text].map(b));
    const out = r.pushed.filter((x) => x !== undefined).map((x) => x.toString());
    expect(out).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n']);
    expect(r.f.events).toBe(2);
  });

  it("cuts a partial event off a chunk and keeps it for the next", () => {
    const r = frame([b("data: one\n\ndata: tw"), b("o\n\n")]);
    expect(r.pushed.map((x) => x?.toString())).toEqual(["data: one\n\n", "data: two\n\n"]);
  });

  for (const [name, eol] of [
    ["CRLF", "\r\n"],
    ["CR", "\r"],
    ["LF", "\n"],
  ] as const) {
    it(`${name} line endings: events end at a blank line, split anywhere, bytes unchanged`, () => {
      const text = `event: piece${eol}data: a${eol}${eol}: keep-alive${eol}${eol}data: b${eol}data: c${eol}${eol}`;
      const whole = b(text);
      expect(new SseFramer().push(whole)).toBe(whole);
      for (let cut = 1; cut < whole.length; cut++) {
        const r = frame([whole.subarray(0, cut), whole.subarray(cut)]);
        expect(joined(r).equals(whole)).toBe(true);
        expect(r.f.events).toBe(3);
      }
      expect(parseEvents(whole)).toEqual([
        { event: "piece", data: "a" },
        { event: undefined, data: "b\nc" },
      ]);
    });
  }

  it("a CRLF split between its CR and LF does not end an event early or lose the LF", () => {
    const r = frame([b("data: x\r"), b("\ndata: y\r\n\r"), b("\n")]);
    expect(r.pushed[0]).toBeUndefined();
    expect(r.pushed[1]?.toString()).toBe("data: x\r\ndata: y\r\n\r");
    expect(joined(r).toString()).toBe("data: x\r\ndata: y\r\n\r\n");
    expect(parseEvents(joined(r))).toEqual([{ event: undefined, data: "x\ny" }]);
  });

  it("forwards comments and keep-alives unchanged; the parser skips them", () => {
    const text = ": ping\n\n:another\n\ndata:no-space\n\nid: 7\nretry: 10\ndata\n\n";
    const r = frame([b(text)]);
    expect(joined(r).toString()).toBe(text);
    expect(r.f.events).toBe(4);
    expect(parseEvents(b(text))).toEqual([
      { event: undefined, data: "no-space" },
      { event: undefined, data: "" },
    ]);
  });

  it("an unterminated tail is given back by flush as it came", () => {
    const r = frame([b("data: a\n\ndata: cut sho")]);
    expect(r.pushed[0]?.toString()).toBe("data: a\n\n");
    expect(r.tail?.toString()).toBe("data: cut sho");
  });

  it("any stream cut anywhere: same bytes out, only at event boundaries, every event counted", () => {
    const line = fc.stringMatching(/^[a-z0-9 {}":,]{0,12}$/);
    const event = fc.oneof(
      fc.array(line, { minLength: 1, maxLength: 3 }).map((ls) => ls.map((l) => `data: ${l}`)),
      line.map((l) => [`: ${l}`]),
      fc.tuple(line, line).map(([e, d]) => [`event: ${e}`, `data: ${d}`]),
    );
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 6 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.array(fc.nat(), { maxLength: 8 }),
        (events, eol, cutsRaw) => {
          const texts = events.map((ls) => ls.map((l) => l + eol).join("") + eol);
          const whole = b(texts.join(""));
          // Where an event ends; with CRLF a cut may fall between the closing CR and LF.
          const ends = new Set<number>();
          let at = 0;
          for (const t of texts) {
            at += Buffer.byteLength(t);
            ends.add(at);
            if (eol === "\r\n") ends.add(at - 1);
          }
          const cuts = [...new Set(cutsRaw.map((c) => c % whole.length))].sort((x, y) => x - y);
          const chunks = [0, ...cuts, whole.length]
            .slice(1)
            .map((end, i, arr) => whole.subarray(i === 0 ? 0 : arr[i - 1], end))
            .filter((c) => c.length > 0);
          const r = frame(chunks);
          expect(joined(r).equals(whole)).toBe(true);
          let sent = 0;
          for (const p of r.pushed) {
            if (!p) continue;
            sent += p.length;
            expect(ends.has(sent)).toBe(true);
          }
          expect(r.f.events).toBe(events.length);
          const data = events.filter((ls) => !ls[0].startsWith(":"));
          expect(parseEvents(whole).length).toBe(data.length);
          expect(splitEvents(whole).length).toBe(events.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
