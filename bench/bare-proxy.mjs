// Reference point for the benchmark: the least a proxy on the gateway's own stack can do — node:http
// in, one undici Pool out: read the body, parse it, set the model, forward, pass the answer back
// (whole, or chunk by chunk for a stream). No auth, routing, region check, headers, logs or metrics.
// Measured in the same run as the gateway, it shows how much of the cost is the stack (and the
// machine) rather than Meridian. Arguments: port, upstream origin, slow-stream upstream origin.
import { createServer } from "node:http";
import { Pool } from "undici";

const [port, upstream, slowUpstream] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
// as many connections per origin as the gateway allows (src/upstream/client.ts)
const pool = new Pool(upstream, { connections: 1000 });
const slowPool = slowUpstream ? new Pool(slowUpstream, { connections: 1000 }) : pool;
const headers = { "content-type": "application/json", authorization: "Bearer sk-up-eu" };

function stream(target, body, res) {
  target.dispatch(
    { method: "POST", path: "/v1/chat/completions", headers, body },
    {
      onRequestStart() {},
      onResponseStart(_c, status, h) {
        res.writeHead(status, { "content-type": h["content-type"] ?? "text/event-stream" });
      },
      onResponseData(_c, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        res.destroy();
      },
    },
  );
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      const out = JSON.stringify({ ...body, model: "gpt-bench" });
      if (body.stream) return stream(body.model === "gpt-slow" ? slowPool : pool, out, res);
      const up = await pool.request({ method: "POST", path: "/v1/chat/completions", headers, body: out });
      const buf = Buffer.from(await up.body.arrayBuffer());
      res.writeHead(up.statusCode, { "content-type": "application/json", "content-length": buf.length });
      res.end(buf);
    } catch {
      res.writeHead(502).end();
    }
  });
}).listen(port, "127.0.0.1", () => process.send?.("ready"));
process.on("SIGTERM", () => process.exit(0));
