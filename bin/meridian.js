#!/usr/bin/env node
// Starts Meridian. From the single-file build (dist/meridian.cjs, made by `npm run build`) when it is
// there, compiled with V8's code cache: the cache, written once a second after the first start has
// begun listening, lets later starts skip parsing and compiling ~4 MB of JavaScript (cold start ~0.9 s with
// the module tree, ~0.3 s this way on the benchmark machine). Without the bundle, or with
// MERIDIAN_NO_BUNDLE=1, it runs the module tree in dist/ directly.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const CACHE_AFTER_MS = 1_000;
const bundle = fileURLToPath(new URL("../dist/meridian.cjs", import.meta.url));

if (process.env.MERIDIAN_NO_BUNDLE || !existsSync(bundle)) {
  await import("../dist/main.js");
} else {
  // V8 refuses a cache made by another Node version or other flags, but it compares the source only by
  // length: the name carries the bundle's size and mtime, so a rebuilt bundle never meets an old cache.
  const { size, mtimeMs } = statSync(bundle);
  const cacheFile = `${bundle}.${process.version}-${process.arch}-${size}-${Math.floor(mtimeMs)}.v8cache`;
  let cached;
  try {
    cached = readFileSync(cacheFile);
  } catch {}
  // The build keeps the bundle ASCII (scripts/bundle.mjs checks): latin1 is the same text, read faster.
  const source = readFileSync(bundle, "latin1");
  const script = new vm.Script(Module.wrap(source), {
    filename: bundle,
    cachedData: cached,
    // No importModuleDynamically: Node 20 drops it when the cache is accepted, so an import() would
    // work on a cold start only. The build turns every import() into require() and checks none is left.
  });
  // V8 sets cachedDataRejected (true or false) only when it was handed a cache.
  const verdict =
    cached === undefined ? "absent" : script.cachedDataRejected === false ? "accepted" : "rejected";
  if (process.env.MERIDIAN_DEBUG_STARTUP) process.stderr.write(`meridian: code cache ${verdict}\n`);
  if (verdict !== "accepted") {
    // Written a second after listening, the cache also holds what ran lazily by then: the rest of
    // startup, the first log lines and the first requests (a health probe, usually). Measured on the
    // bench VM: the first request after a cold start took 5.6-6.3 ms with a cache made at listen, 3.6.
    process.once("meridian:listening", () => {
      setTimeout(() => {
        try {
          const tmp = `${cacheFile}.${process.pid}`;
          writeFileSync(tmp, script.createCachedData());
          renameSync(tmp, cacheFile);
        } catch {
          // a read-only install just starts without the cache
        }
      }, CACHE_AFTER_MS).unref();
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}
