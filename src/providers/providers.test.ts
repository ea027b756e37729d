import { describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load.js";
import type { Deployment, Operation } from "../router/deployment.js";
import { azureProvider } from "./azure.js";
import type { Provider } from "./contract.js";
import { openaiProvider } from "./openai.js";

/** Deployments come from real config text, so prefix stripping and defaults are the loader's own. */
function deployment(params: string): Deployment {
  const yaml = `model_list:\n  - model_name: m\n    litellm_params:\n${params
    .trim()
    .split("\n")
    .map((l) => `      ${l.trim()}`)
    .join("\n")}\n`;
  return parseConfigText(yaml, "providers.yaml", {}).deployments[0];
}

const chatReq = { model: "m", messages: [{ role: "user", content: "hi" }] };

/** The body one non-streaming attempt sends, through the provider's own prepare(). */
function bodyOf(p: Provider, d: Deployment, op: Operation, body: Record<string, unknown>): string {
  const r = p.prepare(d, p.target(d), { op, body, stream: false, wantUsage: true });
  if (r instanceof Promise) throw new Error("passthrough providers prepare synchronously");
  return String(r.body);
}

describe("azure provider", () => {
  const variants = [
    "https://eu-res.openai.azure.com",
    "https://eu-res.openai.azure.com/",
    "https://eu-res.openai.azure.com/openai",
    "https://eu-res.openai.azure.com/openai/",
  ];
  for (const base of variants) {
    it(`builds Azure's URL shape from api_base ${base}`, () => {
      const d = deployment(`
        model: azure/gpt-35-turbo
        api_base: ${base}
        api_key: az-secret
        api_version: "2024-08-01-preview"`);
      const t = azureProvider.target(d);
      expect(t.origin).toBe("https://eu-res.openai.azure.com");
      const q = "?api-version=2024-08-01-preview";
      expect(t.paths.chat).toBe(`/openai/deployments/gpt-35-turbo/chat/completions${q}`);
      expect(t.paths.completions).toBe(`/openai/deployments/gpt-35-turbo/completions${q}`);
      expect(t.paths.embeddings).toBe(`/openai/deployments/gpt-35-turbo/embeddings${q}`);
    });
  }

  it("sends the key in api-key, never as a Bearer token", () => {
    const t = azureProvider.target(
      deployment(`
        model: azure/gpt-35-turbo
        api_base: https://eu-res.openai.azure.com/
        api_key: az-secret`),
    );
    expect(t.headers["api-key"]).toBe("az-secret");
    expect(t.headers.authorization).toBeUndefined();
    expect(t.headers["content-type"]).toBe("application/json");
  });

  it("uses the documented default api-version when none is configured", () => {
    const t = azureProvider.target(
      deployment(`
        model: azure/dep
        api_base: https://r.openai.azure.com`),
    );
    expect(t.paths.chat).toBe("/openai/deployments/dep/chat/completions?api-version=2024-10-21");
  });

  it("keeps a non-default port and escapes the deployment name", () => {
    const t = azureProvider.target(
      deployment(`
        model: azure/my dep
        api_base: http://127.0.0.1:8443/`),
    );
    expect(t.origin).toBe("http://127.0.0.1:8443");
    expect(t.paths.embeddings).toBe("/openai/deployments/my%20dep/embeddings?api-version=2024-10-21");
  });

  it("puts the deployment name in the body's model", () => {
    const d = deployment(`
      model: azure/gpt-35-turbo
      api_base: https://r.openai.azure.com`);
    expect(JSON.parse(bodyOf(azureProvider, d, "chat", chatReq)).model).toBe("gpt-35-turbo");
  });
});

describe("openai provider", () => {
  it("sends Authorization: Bearer and strips the provider prefix from the model", () => {
    const d = deployment(`
      model: openai/gpt-4o
      api_key: sk-upstream`);
    const t = openaiProvider.target(d);
    expect(t.origin).toBe("https://api.openai.com");
    expect(t.paths.chat).toBe("/v1/chat/completions");
    expect(t.headers.authorization).toBe("Bearer sk-upstream");
    expect(t.headers["api-key"]).toBeUndefined();
    expect(JSON.parse(bodyOf(openaiProvider, d, "chat", chatReq)).model).toBe("gpt-4o");
  });

  it("keeps everything after the first slash of the model (fine-tunes, org/model names)", () => {
    const d = deployment(`
      model: hosted_vllm/meta-llama/Llama-3-8B
      api_base: http://10.0.0.1:8000/v1`);
    expect(JSON.parse(bodyOf(openaiProvider, d, "chat", chatReq)).model).toBe("meta-llama/Llama-3-8B");
  });

  for (const [base, prefix] of [
    ["http://127.0.0.1:9000/v1", "/v1"],
    ["http://127.0.0.1:9000/v1/", "/v1"],
    ["http://127.0.0.1:9000", ""],
    ["http://127.0.0.1:9000/", ""],
    ["http://127.0.0.1:9000/proxy/openai/v1", "/proxy/openai/v1"],
  ] as const) {
    it(`appends operation paths to api_base ${base}`, () => {
      const t = openaiProvider.target(
        deployment(`
          model: openai/gpt-4o
          api_base: ${base}`),
      );
      expect(t.origin).toBe("http://127.0.0.1:9000");
      expect(t.paths).toMatchObject({
        chat: `${prefix}/chat/completions`,
        completions: `${prefix}/completions`,
        embeddings: `${prefix}/embeddings`,
        audio_transcriptions: `${prefix}/audio/transcriptions`,
        responses: `${prefix}/responses`,
      });
    });
  }

  it("sends no Authorization header when the deployment has no key", () => {
    const t = openaiProvider.target(
      deployment(`
        model: openai/gpt-4o
        api_base: http://127.0.0.1:9000/v1`),
    );
    expect(t.headers.authorization).toBeUndefined();
  });

  it("adds extra_headers but never lets them replace the configured key", () => {
    const t = openaiProvider.target(
      deployment(`
        model: openai/gpt-4o
        api_key: sk-real
        extra_headers: {"OpenAI-Organization": "org-1", "authorization": "Bearer sk-evil"}`),
    );
    expect(t.headers["OpenAI-Organization"]).toBe("org-1");
    expect(t.headers.authorization).toBe("Bearer sk-real");
  });
});

describe("request bodies", () => {
  const d = deployment(`
    model: openai/gpt-4o
    api_base: http://127.0.0.1:9000/v1`);
  const az = deployment(`
    model: azure/dep
    api_base: https://r.openai.azure.com`);

  it("never forwards gateway-only keys", () => {
    const req = {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      metadata: { user_id: "cust-1", tags: ["a"] },
      litellm_metadata: { user: "cust-1" },
      mock_response: "x",
      fallbacks: ["other"],
      num_retries: 3,
      temperature: 0.2,
      user: "cust-1",
    };
    for (const [p, dep] of [
      [openaiProvider, d],
      [azureProvider, az],
    ] as const) {
      for (const op of ["chat", "completions", "embeddings"] as const) {
        const sent = JSON.parse(bodyOf(p, dep, op, req));
        expect(sent).not.toHaveProperty("metadata");
        expect(sent).not.toHaveProperty("litellm_metadata");
        expect(sent).not.toHaveProperty("mock_response");
        expect(sent).not.toHaveProperty("fallbacks");
        expect(sent).not.toHaveProperty("num_retries");
        expect(sent.temperature).toBe(0.2);
        expect(sent.user).toBe("cust-1");
        expect(sent.messages).toEqual(req.messages);
      }
    }
  });

  it("never forwards client-side credentials or endpoints meant for the gateway", () => {
    const req = { model: "m", input: "x", api_key: "sk-client", api_base: "http://evil", base_url: "x" };
    const sent = JSON.parse(bodyOf(openaiProvider, d, "embeddings", req));
    expect(sent).toEqual({ model: "gpt-4o", input: "x" });
  });

  it("does not mutate the client's body and drops undefined values", () => {
    const req = { model: "m", prompt: "p", suffix: undefined, metadata: { a: 1 } };
    const copy = structuredClone(req);
    const sent = JSON.parse(bodyOf(openaiProvider, d, "completions", req));
    expect(sent).toEqual({ model: "gpt-4o", prompt: "p" });
    expect(req).toEqual(copy);
  });

  it("preserves unicode and nested values exactly", () => {
    const req = { model: "m", messages: [{ role: "user", content: 'héllo "✓" \n 👋' }], n: 1, stop: null };
    const sent = JSON.parse(bodyOf(openaiProvider, d, "chat", req));
    expect(sent.messages[0].content).toBe('héllo "✓" \n 👋');
    expect(sent.stop).toBeNull();
  });
});
