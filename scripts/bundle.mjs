// Second build step: the gateway (src/main.ts and everything it imports) as one CommonJS file,
// dist/meridian.cjs, for bin/meridian.js. One file instead of ~1,000 modules starts ~2x faster, and
// as a classic script it can use V8's code cache (see bin/meridian.js). Native and optional clients
// stay outside: they load from node_modules, and only when configured.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { build } from "esbuild";

export async function bundle(root, outfile) {
  // Code caches of earlier builds (bin/meridian.js names them after the bundle's size and mtime).
  const dir = dirname(outfile);
  try {
    for (const f of readdirSync(dir))
      if (f.startsWith(`${basename(outfile)}.`) && f.endsWith(".v8cache")) rmSync(join(dir, f));
  } catch {
    // no output directory yet
  }
  await build({
    entryPoints: [`${root}/src/main.ts`],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["better-sqlite3", "pg", "pg-native", "ioredis"],
    // A lazy `import("pg")` left in a vm.Script needs a dynamic-import callback, and on Node 20 a
    // script compiled from an accepted code cache has none: every start after the first failed with
    // "A dynamic import callback was not specified". As require() it loads the same way either way.
    supported: { "dynamic-import": false },
    // ESM's import.meta.url has no CommonJS twin; the file's own URL is what every use of it means.
    define: { "import.meta.url": "__meridianUrl" },
    banner: { js: 'const __meridianUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [undiciPoolOnly(root)],
    // Less to read and hash at every start; identifiers kept, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    // Licence comments go to meridian.cjs.LEGAL.txt: they are the only non-ASCII text left (esbuild
    // escapes the rest), and an ASCII bundle is read as latin1, ~5 ms faster than decoding UTF-8.
    legalComments: "external",
    logLevel: "warning",
  });
  const code = readFileSync(outfile);
  const start = code[0] === 0x23 && code[1] === 0x21 ? code.indexOf(0x0a) + 1 : 0; // "#!" line
  for (let i = start; i < code.length; i++)
    if (code[i] > 0x7f)
      throw new Error(`${outfile}: non-ASCII byte at ${i}; bin/meridian.js reads it as latin1`);
  // Checked, not trusted: one import() of an external would break only the starts that use the cache.
  const dynamic = /\bimport\(/.exec(code.toString("latin1", start));
  if (dynamic)
    throw new Error(
      `${outfile}: import( at ${start + dynamic.index}; bin/meridian.js runs it as a classic script`,
    );
  if (start > 0) writeFileSync(outfile, code.subarray(start));
}

/** `import { Pool } from "undici"` resolves to scripts/undici-pool.cjs in the bundle (see there). */
function undiciPoolOnly(root) {
  return {
    name: "undici-pool-only",
    setup(b) {
      b.onResolve({ filter: /^undici$/ }, () => ({ path: join(root, "scripts", "undici-pool.cjs") }));
    },
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  await bundle(process.cwd(), "dist/meridian.cjs");
}
