// CPU microseconds the gateway spends per proxied request (user+sys from /proc), a figure that stays
// comparable on a busy machine where RPS does not. Usage: node bench/cpu-per-request.mjs [seconds]
import { fork, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { benchConfig } from "./measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const seconds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "meridian-cpu-"));
const cfg = join(dir, "c.yaml");
writeFileSync(
  cfg,
  benchConfig({ euPort: 18201, usPort: 18202, key: "sk-bench-1234", dbFile: join(dir, "b.db") }),
);
const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return [Number(f[11]), Number(f[12])]; // utime + stime, clock ticks (1/100 s)
};
const up = fork(join(root, "bench/upstream.mjs"), ["18201", "18202"], { stdio: "ignore" });
await new Promise((r) => up.once("message", r));
const gw = spawn(
  process.execPath,
  [join(root, "bin/meridian.js"), "--config", cfg, "--port", "18200", "--host", "127.0.0.1"],
  { stdio: "ignore" },
);
for (;;) {
  try {
    if ((await fetch("http://127.0.0.1:18200/health/liveliness")).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 20));
}
const h = { "content-type": "application/json", authorization: "Bearer sk-bench-1234" };
await fetch("http://127.0.0.1:18200/end_user/new", {
  method: "POST",
  headers: h,
  body: JSON.stringify({ user_id: "bench-eu", allowed_model_region: "eu" }),
});
const body = JSON.stringify({
  model: "gpt-bench",
  messages: [{ role: "user", content: "hello" }],
  user: "bench-eu",
});
const run = (d) =>
  new Promise((res, rej) =>
    autocannon(
      {
        url: "http://127.0.0.1:18200/chat/completions",
        method: "POST",
        headers: h,
        body,
        connections: 50,
        duration: d,
      },
      (e, r) => (e ? rej(e) : res(r)),
    ),
  );
await run(2);
const t0 = ticks(gw.pid);
const r = await run(seconds);
const t1 = ticks(gw.pid);
const n = r.requests.total;
console.log(
  JSON.stringify({
    requests: n,
    rps: Math.round(r.requests.average),
    non2xx: r.non2xx,
    cpuUsPerRequest: +(((t1[0] + t1[1] - (t0[0] + t0[1])) * 10_000) / n).toFixed(1),
    userUs: +(((t1[0] - t0[0]) * 10_000) / n).toFixed(1),
    sysUs: +(((t1[1] - t0[1]) * 10_000) / n).toFixed(1),
  }),
);
gw.kill("SIGTERM");
up.kill("SIGTERM");
rmSync(dir, { recursive: true, force: true });
process.exit(0);
