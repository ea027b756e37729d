import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium (.ci/run installs it), or CHROMIUM_PATH. */
export function chromiumPath(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"])
    if (p && existsSync(p)) return p;
  return undefined;
}

export async function launch(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("no Chromium: apt-get install chromium, or set CHROMIUM_PATH");
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** Builds ui/ with vite into a fresh temp directory (the test's own copy, not dist/ui). */
export async function buildUi(): Promise<string> {
  const { build } = await import("vite");
  const outDir = mkdtempSync(join(tmpdir(), "meridian-ui-"));
  await build({
    configFile: fileURLToPath(new URL("../../ui/vite.config.ts", import.meta.url)),
    build: { outDir, emptyOutDir: true },
    logLevel: "error",
  });
  return outDir;
}

export const SHOTS_DIR = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
