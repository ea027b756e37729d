import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { build } from "../app.js";
import { parseConfigText } from "../config/load.js";
import { openStore } from "../store/customers.js";
import { createLogger } from "./logger.js";
import { RepeatLimiter } from "./repeat-limiter.js";

/** A logger writing into an array of parsed lines. */
function capture(repeats: { windowMs: number; burst?: number }) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, repeats }) };
}

/** A scheduler the test runs by hand. */
function manualClock() {
  const due: Array<() => void> = [];
  return {
    schedule: (fn: () => void) => {
      due.push(fn);
    },
    tick: () => {
      for (const f of due.splice(0)) f();
    },
  };
}

describe("RepeatLimiter", () => {
  it("passes the burst (the first with its stack), drops the rest, then summarizes once per window", () => {
    const clock = manualClock();
    const summaries: number[] = [];
    const l = new RepeatLimiter({ burst: 3, windowMs: 10_000, maxKinds: 10, schedule: clock.schedule });
    const verdicts = Array.from({ length: 1_000 }, () => l.admit("k", (n) => summaries.push(n)));
    expect(verdicts.slice(0, 4)).toEqual(["first", "again", "again", "drop"]);
    expect(verdicts.filter((v) => v !== "drop")).toHaveLength(3);
    clock.tick();
    expect(summaries).toEqual([997]);
    // the flood goes on: the next window writes only its count
    for (let i = 0; i < 50; i++) expect(l.admit("k", (n) => summaries.push(n))).toBe("drop");
    clock.tick();
    expect(summaries).toEqual([997, 50]);
    // a quiet window forgets the kind: the next occurrence is a first again
    clock.tick();
    expect(l.admit("k", () => {})).toBe("first");
  });

  it("limits kinds apart, and bounds how many it tracks", () => {
    const l = new RepeatLimiter({ burst: 1, windowMs: 10_000, maxKinds: 2, schedule: () => {} });
    expect(l.admit("a", () => {})).toBe("first");
    expect(l.admit("b", () => {})).toBe("first");
    expect(l.admit("a", () => {})).toBe("drop");
    // unique messages beyond the cap share one slot instead of growing the map
    expect(l.admit("c", () => {})).toBe("first");
    expect(l.admit("d", () => {})).toBe("drop");
  });
});

describe("a store outage does not flood the log", () => {
  it("10,000 failing policy reads write a handful of lines, one stack, and a count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meridian-log-"));
    const { lines, logger } = capture({ windowMs: 300 });
    const config = parseConfigText("model_list: []\n", "c.yaml", {});
    const store = await openStore(`sqlite:${join(dir, "m.db")}`);
    const built = await build({ config, store, logger, metrics: false });
    try {
      await store.close(); // the outage: every read now fails
      const refused = await Promise.allSettled(
        Array.from({ length: 10_000 }, (_, i) => built.gateway.customers.policyFor(`user-${i}`)),
      );
      expect(refused.every((r) => r.status === "rejected")).toBe(true);
      const errorsNow = lines.filter((l) => l.msg === "customer store error");
      expect(errorsNow.length).toBeGreaterThan(0);
      expect(errorsNow.length).toBeLessThanOrEqual(5);
      const stack = (l: Record<string, unknown>) => String((l.err as { stack?: string })?.stack ?? "");
      expect(errorsNow.filter((l) => stack(l).includes("\n    at "))).toHaveLength(1);
      expect(errorsNow.every((l) => (l.err as { message: string }).message.length > 0)).toBe(true);
      // the count arrives when the window ends (bounded wait)
      for (let i = 0; i < 50 && !lines.some((l) => l.repeated !== undefined); i++)
        await new Promise((r) => setTimeout(r, 50));
      const summary = lines.find((l) => l.repeated !== undefined);
      expect(summary?.repeated).toBe(10_000 - errorsNow.length);
      expect(String(summary?.msg)).toMatch(
        /^customer store error \(repeated [\d,]+ times in the last 0.3 s\)$/,
      );
      expect(lines.length).toBeLessThanOrEqual(30);
    } finally {
      await built.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("info lines (the per-request log) are never limited", () => {
    const { lines, logger } = capture({ windowMs: 10_000 });
    for (let i = 0; i < 100; i++) logger.info({ call_id: i }, "request");
    logger.flush();
    expect(lines).toHaveLength(100);
  });
});
