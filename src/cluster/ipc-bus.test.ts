import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IpcBus, type IpcEndpoint } from "./ipc-bus.js";

/**
 * The worker side of the IPC bus over a real IPC channel: a forked process plays the primary,
 * acknowledging like relayBus does, or not at all (a primary that cannot relay).
 */
const dir = mkdtempSync(join(tmpdir(), "meridian-ipc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, "primary.cjs");
writeFileSync(
  script,
  `process.on("message", (m) => {
     if (process.argv[2] === "ack" && m && m.tag === "meridian:bus" && m.id !== undefined)
       process.send({ tag: "meridian:bus", ack: m.id });
   });`,
);

function primary(mode: "ack" | "silent") {
  const child = fork(script, [mode], { stdio: "ignore" });
  return { child, endpoint: child as unknown as IpcEndpoint };
}

describe("IpcBus publish confirmation", () => {
  it("is true once the primary acknowledges", async () => {
    const { child, endpoint } = primary("ack");
    const bus = new IpcBus(endpoint);
    try {
      expect(await bus.publish("inv", "c1")).toBe(true);
    } finally {
      await bus.close();
      child.kill();
    }
  });

  it("is false without a receipt (the admin change then answers 503), and false with no channel", async () => {
    const { child, endpoint } = primary("silent");
    const bus = new IpcBus(endpoint);
    const local: string[] = [];
    bus.subscribe("inv", (m) => local.push(m));
    try {
      expect(await bus.publish("inv", "c2")).toBe(false);
      expect(local).toEqual(["c2"]); // this process obeys at once either way
      await new Promise<void>((r) => {
        child.once("exit", () => r());
        child.kill();
      });
      expect(await bus.publish("inv", "c3")).toBe(false);
    } finally {
      await bus.close();
    }
  });
});
