import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { eventStreamDecoder } from "./eventstream.js";

/**
 * Frames built byte by byte from the format's description (not with the codec the decoder uses):
 * prelude = total length (u32 BE), headers length (u32 BE), CRC32 of those 8 bytes; headers =
 * name length (u8), name, type 7 (string), value length (u16 BE), value; payload; CRC32 of all before.
 */
function header(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(v.length);
  return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), len, v]);
}

function frame(headers: Record<string, string>, payload: string): Buffer {
  const h = Buffer.concat(Object.entries(headers).map(([k, v]) => header(k, v)));
  const body = Buffer.from(payload);
  const total = 12 + h.length + body.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(h.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const head = Buffer.concat([prelude, h, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(head));
  return Buffer.concat([head, crc]);
}

const event = (type: string, payload: object) =>
  frame(
    { ":event-type": type, ":content-type": "application/json", ":message-type": "event" },
    JSON.stringify(payload),
  );

const STREAM = Buffer.concat([
  event("messageStart", { role: "assistant" }),
  event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hé, ünïcode" } }),
  event("metadata", { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
]);

describe("AWS event-stream decoder", () => {
  it("reads hand-built frames: event type and payload", () => {
    const d = eventStreamDecoder();
    const events = d.push(STREAM);
    expect(events.map((e) => e.event)).toEqual(["messageStart", "contentBlockDelta", "metadata"]);
    expect(JSON.parse(events[1].data).delta.text).toBe("Hé, ünïcode");
    expect(d.end()).toEqual([]);
  });

  it("the same events whatever the chunking, cut at every byte", () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      const d = eventStreamDecoder();
      const events = [...d.push(STREAM.subarray(0, cut)), ...d.push(STREAM.subarray(cut)), ...d.end()];
      expect(events.map((e) => e.event)).toEqual(["messageStart", "contentBlockDelta", "metadata"]);
    }
    const d = eventStreamDecoder();
    const one: string[] = [];
    for (const b of STREAM) for (const e of d.push(Buffer.from([b]))) one.push(e.event ?? "");
    expect(one).toEqual(["messageStart", "contentBlockDelta", "metadata"]);
  });

  it("exception and error frames are named as such", () => {
    const d = eventStreamDecoder();
    const [ex, er] = d.push(
      Buffer.concat([
        frame(
          { ":exception-type": "throttlingException", ":message-type": "exception" },
          '{"message":"slow down"}',
        ),
        frame({ ":error-code": "InternalFailure", ":error-message": "boom", ":message-type": "error" }, ""),
      ]),
    );
    expect(ex).toEqual({ event: "exception:throttlingException", data: '{"message":"slow down"}' });
    expect(er).toEqual({ event: "error:InternalFailure", data: '{"message":"boom"}' });
  });

  it("a bad message CRC throws; frames before it in the same chunk are delivered first", () => {
    const bad = event("contentBlockDelta", { delta: { text: "x" } });
    bad[bad.length - 2] ^= 0x01;
    const d = eventStreamDecoder();
    const first = d.push(Buffer.concat([event("messageStart", {}), bad]));
    expect(first.map((e) => e.event)).toEqual(["messageStart"]);
    expect(() => d.push(Buffer.alloc(0))).toThrow(/failed its check/);
    expect(() => eventStreamDecoder().push(bad)).toThrow(/failed its check.*checksum/);
  });

  it("a bad prelude CRC, an impossible length, and a stream cut inside a frame throw", () => {
    const badPrelude = event("messageStart", {});
    badPrelude[9] ^= 0xff;
    expect(() => eventStreamDecoder().push(badPrelude)).toThrow(/prelude checksum/);
    const huge = Buffer.alloc(16);
    huge.writeUInt32BE(0x7fffffff, 0);
    expect(() => eventStreamDecoder().push(huge)).toThrow(/impossible length/);
    const d = eventStreamDecoder();
    expect(d.push(STREAM.subarray(0, STREAM.length - 3)).length).toBe(2);
    expect(() => d.end()).toThrow(/cut inside a frame/);
  });
});
