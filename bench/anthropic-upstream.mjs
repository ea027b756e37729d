// The benchmark's Anthropic Messages API: POST /v1/messages answered at once, a buffered message or
// the event stream a short answer makes (message_start, a text block of three deltas, message_delta,
// message_stop, with a ping), in Anthropic's real wire format. Serves the translating-provider leg.
import { createServer } from "node:http";

const ev = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const usage = {
  input_tokens: 12,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: 1,
};
const STREAM = [
  ev("message_start", {
    type: "message_start",
    message: {
      id: "msg_bench",
      type: "message",
      role: "assistant",
      model: "claude-bench",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  }),
  ev("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  }),
  ev("ping", { type: "ping" }),
  ...["Hello", " from", " the bench"].map((text) =>
    ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
  ),
  ev("content_block_stop", { type: "content_block_stop", index: 0 }),
  ev("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 3 },
  }),
  ev("message_stop", { type: "message_stop" }),
].join("");
const MESSAGE = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: "claude-bench",
  content: [{ type: "text", text: "Hello from the bench" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { ...usage, output_tokens: 3 },
});

export function startAnthropicUpstream(port) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let stream = false;
      try {
        stream = JSON.parse(Buffer.concat(chunks).toString("utf8")).stream === true;
      } catch {}
      if (stream) {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.end(STREAM);
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(MESSAGE);
      }
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
