import { describe, expect, it } from "vitest";
import { post, startHarness } from "../../test/harness.js";
import { ConfigError, parseConfigText } from "./load.js";

function refusal(yaml: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfigText(yaml, "config.yaml", env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected startup to stop");
}

describe("read as LiteLLM reads it", () => {
  it("YAML 1.1 numbers and booleans reach the settings", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x, tpm: 20_000, rpm: 1_000 }
router_settings:
  disable_cooldowns: yes
  cooldown_time: 1_0
`,
      "c.yaml",
      {},
    );
    expect([c.deployments[0].tpm, c.deployments[0].rpm]).toEqual([20000, 1000]);
    expect(c.router.disableCooldowns).toBe(true);
    expect(c.router.cooldownMs).toBe(10_000);
  });

  it("empty values are absent: an empty api_key, a section of comments only", () => {
    const c = parseConfigText(
      "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      api_key:\ngeneral_settings:\n  # master_key: sk-1\n",
      "c.yaml",
      {},
    );
    expect(c.deployments[0].apiKey).toBeUndefined();
    expect(c.general.masterKey).toBeUndefined();
  });

  it("deployment-level tpm/rpm, litellm_params first", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    tpm: 100
    rpm: 5
    litellm_params: { model: openai/x }
  - model_name: a
    tpm: 100
    litellm_params: { model: openai/y, tpm: 7 }
`,
      "c.yaml",
      {},
    );
    expect(c.deployments.map((d) => [d.tpm, d.rpm])).toEqual([
      [100, 5],
      [7, undefined],
    ]);
    expect(c.warnings).toEqual([]);
  });

  it("request defaults are kept per deployment, none when unset", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x, temperature: 0.2, max_tokens: "64", stop: ["END"] }
  - model_name: b
    litellm_params: { model: openai/y }
`,
      "c.yaml",
      {},
    );
    expect(c.deployments[0].requestDefaults).toEqual({ temperature: 0.2, max_tokens: 64, stop: ["END"] });
    expect(c.deployments[1].requestDefaults).toBeUndefined();
    expect(c.warnings).toEqual([]);
  });

  it("provider variables fill what the config leaves out, config first", () => {
    const env = {
      AZURE_API_BASE: "https://env-resource.openai.azure.com",
      AZURE_API_KEY: "az-env",
      AZURE_API_VERSION: "2024-06-01",
      OPENAI_API_KEY: "sk-env",
    };
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: azure/dep, region_name: eu }
  - model_name: b
    litellm_params: { model: azure/dep, api_base: "https://cfg.openai.azure.com", api_key: cfg, region_name: eu }
  - model_name: c
    litellm_params: { model: openai/gpt-4o, region_name: eu }
`,
      "c.yaml",
      env,
    );
    expect(c.deployments.map((d) => [d.apiBase, d.apiKey, d.apiVersion])).toEqual([
      ["https://env-resource.openai.azure.com", "az-env", "2024-06-01"],
      ["https://cfg.openai.azure.com", "cfg", "2024-06-01"],
      ["https://api.openai.com/v1", "sk-env", undefined],
    ]);
  });

  it("credential_list fills a deployment's unset params", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: azure/dep, litellm_credential_name: eu-cred, api_version: "2025-01-01", region_name: eu }
    model_info: { azure_deployment_type: DataZoneStandard }
credential_list:
  - credential_name: eu-cred
    credential_values: { api_key: os.environ/CRED_KEY, api_base: "https://r.openai.azure.com", api_version: "2024-02-01" }
`,
      "c.yaml",
      { CRED_KEY: "k1" },
    );
    const d = c.deployments[0];
    expect([d.apiBase, d.apiKey, d.apiVersion]).toEqual(["https://r.openai.azure.com", "k1", "2025-01-01"]);
    expect(c.warnings).toEqual([]);
  });

  it("every LiteLLM mode is accepted; an unknown one is kept with a located warning", () => {
    const modes = ["batch", "image_generation", "audio_transcription", "audio_speech", "moderation"];
    const more = ["rerank", "responses", "realtime", "hologram"];
    const yaml = `model_list:\n${[...modes, ...more]
      .map(
        (m) =>
          `  - model_name: ${m}\n    litellm_params: { model: openai/${m} }\n    model_info: { mode: ${m} }\n`,
      )
      .join("")}`;
    const c = parseConfigText(yaml, "c.yaml", {});
    expect(c.deployments.map((d) => d.mode)).toEqual([...modes, ...more]);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(
      /^c\.yaml:28 model_list\[8\]\.model_info\.mode: mode "hologram" is not one/,
    );
  });

  it("a fallback may name a deployment id: served by that deployment alone", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x, region_name: eu }
  - model_name: b
    litellm_params: { model: openai/y, region_name: eu }
    model_info: { id: b-1 }
  - model_name: b
    litellm_params: { model: openai/z, region_name: us }
router_settings:
  fallbacks: [{ a: [b-1] }]
`,
      "c.yaml",
      {},
    );
    expect(c.router.fallbacks.get("a")).toEqual(["b-1"]);
    const only = c.deployments.filter((d) => d.modelGroup === "b-1");
    expect(only.map((d) => [d.id, d.upstreamModel, d.geography])).toEqual([["b-1", "y", "eu"]]);
  });

  it("skipped providers are validated only as far as skipping them", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x }
  - model_name: s
    litellm_params: { model: cohere/m, aws_secret_access_key: os.environ/UNSET_VAR, rpm: lots, api_base: "no url" }
    model_info: { id: cohere-1, mode: whatever-cohere-says }
router_settings:
  fallbacks: [{ a: [cohere-1] }]
`,
      "config.yaml",
      {},
    );
    expect(c.deployments.map((d) => d.modelGroup)).toEqual(["a"]);
    expect(c.warnings).toEqual([
      expect.stringMatching(
        /^config.yaml:5 model_list\[1\]\.litellm_params\.model: provider "cohere" is not supported yet \(supported: openai, azure, [^)]*\); this deployment is skipped$/,
      ),
      'config.yaml:8 router_settings.fallbacks[0].a[0]: fallback model "cohere-1" has no usable deployment; skipped',
    ]);
  });
});

describe("every refusal names file, line and key", () => {
  it("azure without api_base, here or in AZURE_API_BASE", () => {
    expect(refusal("model_list:\n  - model_name: a\n    litellm_params: { model: azure/gpt }\n")).toBe(
      "config.yaml:3 model_list[0].litellm_params.api_base: azure deployments need api_base (https://<resource>.openai.azure.com), here or in the environment variable AZURE_API_BASE",
    );
  });

  it("a bad value from a provider variable names the variable", () => {
    expect(
      refusal("model_list:\n  - model_name: a\n    litellm_params: { model: azure/gpt }\n", {
        AZURE_API_BASE: "not a url",
      }),
    ).toMatch(
      /^config\.yaml:3 model_list\[0\]\.litellm_params\.api_base: .+ \(value from environment variable AZURE_API_BASE\)$/,
    );
  });

  it("an unknown credential name", () => {
    expect(
      refusal(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      litellm_credential_name: nope\n",
      ),
    ).toBe(
      'config.yaml:5 model_list[0].litellm_params.litellm_credential_name: no credential named "nope" in credential_list',
    );
  });

  it("a bad redis_host", () => {
    expect(refusal("router_settings:\n  redis_host: 'bad host name'\n")).toBe(
      "config.yaml:2 router_settings.redis_host: not a usable Redis address (expected a host name, or redis_url redis://host:port)",
    );
    expect(refusal("router_settings:\n  redis_url: http://cache:6379\n")).toBe(
      "config.yaml:2 router_settings.redis_url: Redis URL must start with redis:// or rediss://",
    );
  });

  it("region_name: no is PyYAML's false, refused with its line (quote it for Norway)", () => {
    expect(
      refusal(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      region_name: no\n",
      ),
    ).toMatch(/^config\.yaml:5 model_list\[0\]\.litellm_params\.region_name: .*quote the value\)$/);
  });
});

describe("request defaults on the wire", () => {
  it("reach the upstream unless the client sets its own; a deployment-id fallback serves in-region", async () => {
    const h = await startHarness({
      yaml: `model_list:
  - model_name: tuned
    litellm_params: { model: openai/x, api_base: "{{eu}}/v1", region_name: eu, temperature: 0.2, seed: 7 }
  - model_name: primary
    litellm_params: { model: openai/p, api_base: "{{us}}/v1", region_name: eu }
  - model_name: other
    litellm_params: { model: openai/b, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { id: backup-1 }
router_settings:
  num_retries: 0
  fallbacks: [{ primary: [backup-1] }]
`,
    });
    try {
      const msg = [{ role: "user", content: "hi" }];
      expect((await post(`${h.url}/v1/chat/completions`, { model: "tuned", messages: msg })).status).toBe(
        200,
      );
      expect(
        (await post(`${h.url}/v1/chat/completions`, { model: "tuned", messages: msg, temperature: 1 }))
          .status,
      ).toBe(200);
      const bodies = h.upstreams.eu.requests.map((r) => r.body);
      expect(bodies.map((b) => [b?.model, b?.temperature, b?.seed])).toEqual([
        ["x", 0.2, 7],
        ["x", 1, 7],
      ]);

      h.upstreams.eu.reset();
      h.upstreams.us.next({ status: 500 });
      const r = await post(`${h.url}/v1/chat/completions`, { model: "primary", messages: msg });
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get("x-litellm-model-id")).toBe("backup-1");
      expect(h.upstreams.eu.requests.map((q) => q.body?.model)).toEqual(["b"]);
    } finally {
      await h.close();
    }
  });
});
