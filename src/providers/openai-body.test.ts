import { describe, expect, it } from "vitest";
import type { Deployment } from "../router/deployment.js";
import { openaiBody, serializeWithModel } from "./openai-body.js";

describe("serializeWithModel with request defaults", () => {
  it("fills what the client left out; the client's value wins, even null", () => {
    const req = { model: "alias", messages: [], temperature: 1, top_p: null };
    const out = JSON.parse(serializeWithModel(req, "up", { temperature: 0.2, top_p: 0.9, seed: 7 }));
    expect(out).toEqual({ model: "up", messages: [], temperature: 1, top_p: null, seed: 7 });
  });

  it("never lets a default carry a gateway-only key upstream", () => {
    const out = JSON.parse(serializeWithModel({ model: "a" }, "up", { api_key: "x", metadata: {}, n: 2 }));
    expect(out).toEqual({ model: "up", n: 2 });
  });

  it("without defaults the body is the client's", () => {
    const req = { model: "a", messages: [{ role: "user", content: "hi" }], stream: true };
    expect(serializeWithModel(req, "up")).toBe(
      '{"model":"up","messages":[{"role":"user","content":"hi"}],"stream":true}',
    );
  });
});

describe("openaiBody for the Responses API", () => {
  const d = {
    upstreamModel: "gpt-4o",
    requestDefaults: { max_tokens: 100, temperature: 0.3, n: 2, stop: ["x"], seed: 1 },
  } as unknown as Deployment;

  it("sends only the defaults /responses knows, max_tokens as max_output_tokens, and no stream_options", () => {
    const body = { model: "alias", input: "hi", stream: true };
    const out = JSON.parse(openaiBody(d, { op: "responses", body, stream: true, wantUsage: true }, true));
    expect(out).toEqual({
      model: "gpt-4o",
      input: "hi",
      stream: true,
      temperature: 0.3,
      max_output_tokens: 100,
    });
  });

  it("the client's max_output_tokens wins over the deployment's max_tokens", () => {
    const body = { model: "alias", input: "hi", max_output_tokens: 5 };
    const out = JSON.parse(openaiBody(d, { op: "responses", body, stream: false, wantUsage: true }, true));
    expect(out.max_output_tokens).toBe(5);
  });
});
