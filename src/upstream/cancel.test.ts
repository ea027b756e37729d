import { describe, expect, it } from "vitest";
import { Cancel, sleepUnlessCancelled } from "./cancel.js";

describe("Cancel", () => {
  it("runs each listener once on abort, none that was removed, none added afterwards", () => {
    const c = new Cancel();
    const calls: string[] = [];
    const a = () => calls.push("a");
    const b = () => calls.push("b");
    c.addEventListener("abort", a);
    c.addEventListener("abort", b);
    c.removeEventListener("abort", b);
    c.abort();
    c.abort();
    c.addEventListener("abort", () => calls.push("late"));
    expect(calls).toEqual(["a"]);
    expect(c.aborted).toBe(true);
    expect((c.reason as Error).name).toBe("AbortError");
  });

  it("sleepUnlessCancelled resolves true after the wait, false at once on abort", async () => {
    const c = new Cancel();
    expect(await sleepUnlessCancelled(5, c)).toBe(true);
    const t0 = performance.now();
    const p = sleepUnlessCancelled(10_000, c);
    setTimeout(() => c.abort(), 10);
    expect(await p).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await sleepUnlessCancelled(10_000, c)).toBe(false);
  });
});
