import { describe, expect, it } from "vitest";
import { newCallId } from "./call-id.js";

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newCallId", () => {
  it("is a UUID version 7 whose first 48 bits are the time in ms", () => {
    const at = Date.UTC(2026, 11, 3, 9, 0, 0, 123);
    const id = newCallId(at);
    expect(id).toMatch(UUID7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it("sorts by time as text, and does not repeat", () => {
    const ids = Array.from({ length: 3000 }, (_, i) => newCallId(1_700_000_000_000 + Math.floor(i / 3)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 3; i < ids.length; i += 3) expect(ids[i - 3] < ids[i]).toBe(true);
    for (const id of ids) expect(id).toMatch(UUID7);
  });
});
