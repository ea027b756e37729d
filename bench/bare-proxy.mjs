// Reference point for the benchmark: the least a proxy on the gateway's own stack can do — node:http
// in, one undici Pool out: read the body, parse it, set the model, forward, pass the answer back. No
// auth, routing, region check, headers, logs or metrics. Measured in the same run as the gateway, it
// shows how much of the cost is the stack (and the machine) rather than Meridian.
import { createServer } from "node:http";
import { Pool } from "undici";

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(upstream, { connections: 256 });
const headers = { "content-type": "application/json", authorization: "Bearer sk-up-eu" };
createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      const up = await pool.request({
        method: "POST",
        path: "/v1/chat/completions",
        headers,
        body: JSON.stringify({ ...body, model: "gpt-bench" }),
      });
      const buf = Buffer.from(await up.body.arrayBuffer());
      res.writeHead(up.statusCode, { "content-type": "application/json", "content-length": buf.length });
      res.end(buf);
    } catch {
      res.writeHead(502).end();
    }
  });
}).listen(port, "127.0.0.1", () => process.send?.("ready"));
process.on("SIGTERM", () => process.exit(0));
