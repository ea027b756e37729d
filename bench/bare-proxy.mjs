// Reference point for the benchmark: the least a Fastify + undici proxy can do (parse, forward,
// pass the answer back) with no auth, routing, region check, headers, logs or metrics. Measured in
// the same run as the gateway, it shows how much of the cost is the stack rather than Meridian.
import Fastify from "fastify";
import { Pool } from "undici";

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(upstream, { connections: 256 });
const app = Fastify({ logger: false });
app.post("/chat/completions", async (req, reply) => {
  const res = await pool.request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", authorization: "Bearer sk-up-eu" },
    body: JSON.stringify({ ...req.body, model: "gpt-bench" }),
  });
  const chunks = [];
  for await (const c of res.body) chunks.push(c);
  reply.code(res.statusCode).header("content-type", "application/json").send(Buffer.concat(chunks));
});
await app.listen({ port, host: "127.0.0.1" });
process.send?.("ready");
process.on("SIGTERM", () => process.exit(0));
