import { describe, expect, it } from "vitest";
import { serializeWithModel } from "./openai-body.js";

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
