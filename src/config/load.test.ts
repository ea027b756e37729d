import { describe, expect, it } from "vitest";
import { SUPPORTED } from "./deployments.js";
import { ConfigError, parseConfigText } from "./load.js";

const env = { EU_KEY: "k-eu" };

function problems(yaml: string, e: NodeJS.ProcessEnv = env): string {
  try {
    parseConfigText(yaml, "config.yaml", e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("config loading", () => {
  it("reads the seed's shape and resolves os.environ/", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-35-turbo
      api_base: https://my-endpoint-europe-berri-992.openai.azure.com/
      api_key: os.environ/EU_KEY
      region_name: "eu"
router_settings:
  enable_pre_call_checks: true
`,
      "config.yaml",
      env,
    );
    expect(c.deployments).toHaveLength(1);
    const d = c.deployments[0];
    expect(d.provider).toBe("azure");
    expect(d.upstreamModel).toBe("gpt-35-turbo");
    expect(d.apiKey).toBe("k-eu");
    expect(d.geography).toBe("eu");
    expect(d.apiVersion).toBe("2024-10-21");
    // The seed does not say which Azure deployment type it is: region_name is taken on trust, located.
    expect(c.warnings).toEqual([
      expect.stringMatching(/^config.yaml:2 model_list\[0\]\.model_info: Azure deployment type not declared/),
    ]);
  });

  it("names file, line and key for an unknown region", () => {
    const msg = problems(`model_list:
  - model_name: a
    litellm_params:
      model: openai/gpt-4o
      region_name: eu
  - model_name: b
    litellm_params:
      model: openai/gpt-4o
      region_name: mars
`);
    expect(msg).toContain('config.yaml:9 model_list[1].litellm_params.region_name: unknown region "mars"');
  });

  it("names a missing environment variable with its line", () => {
    const msg = problems(`model_list:
  - model_name: a
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/NOPE_NOT_SET
`);
    expect(msg).toBe(
      "config.yaml:5 model_list[0].litellm_params.api_key: environment variable NOPE_NOT_SET is not set",
    );
  });

  it("environment_variables feed os.environ/ references", () => {
    const c = parseConfigText(
      `environment_variables:
  MY_KEY: from-config
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o, api_key: os.environ/MY_KEY }
`,
      "c.yaml",
      {},
    );
    expect(c.deployments[0].apiKey).toBe("from-config");
  });

  it("reports type errors with the key path", () => {
    const msg = problems(`model_list:
  - model_name: a
    litellm_params:
      model: openai/gpt-4o
      rpm: lots
`);
    expect(msg).toMatch(/^config.yaml:5 model_list\[0\]\.litellm_params\.rpm: /);
  });

  it("missing litellm_params.model points at the entry", () => {
    const msg = problems(`model_list:
  - model_name: a
    litellm_params:
      api_base: http://x
`);
    expect(msg).toMatch(/config.yaml:3 model_list\[0\]\.litellm_params\.model: /);
  });

  it("warns once per unknown key, with its line, without failing", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params:
      model: openai/gpt-4o
      frobnicate: 3
router_settings:
  mystery: true
`,
      "config.yaml",
      {},
    );
    expect(c.warnings).toEqual([
      'config.yaml:5 model_list[0].litellm_params.frobnicate: unknown key "frobnicate" (ignored)',
      'config.yaml:7 router_settings.mystery: unknown key "mystery" (ignored)',
    ]);
  });

  it("reports YAML syntax errors with a line", () => {
    const msg = problems("model_list:\n  - model_name: a\n   bad: [\n");
    expect(msg).toMatch(/^config.yaml:\d+ invalid YAML/);
  });

  it("skips deployments of unsupported providers with a located warning, and what points at them", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: claude
    litellm_params: { model: cohere/command-r-plus, api_key: x }
  - model_name: gpt
    litellm_params: { model: openai/gpt-4o, region_name: eu }
router_settings:
  fallbacks: [{"gpt": ["claude"]}]
  model_group_alias: {"sonnet": "claude"}
`,
      "config.yaml",
      {},
    );
    expect(c.deployments.map((d) => d.modelGroup)).toEqual(["gpt"]);
    expect(c.router.fallbacks.get("gpt")).toEqual([]);
    expect(c.router.aliases.has("sonnet")).toBe(false);
    expect(c.warnings).toEqual([
      `config.yaml:3 model_list[0].litellm_params.model: provider "cohere" is not supported yet (supported: ${Object.keys(SUPPORTED).join(", ")}); this deployment is skipped`,
      expect.stringMatching(
        /^config.yaml:5 model_list\[1\]\.litellm_params\.region_name: region_name "eu" is taken on trust: api_base host api.openai.com/,
      ),
      'config.yaml:8 router_settings.model_group_alias.sonnet: alias target "claude" has no usable deployment; skipped',
      'config.yaml:7 router_settings.fallbacks[0].gpt[0]: fallback model "claude" has no usable deployment; skipped',
    ]);
  });

  it("rejects azure without api_base", () => {
    expect(problems("model_list:\n  - model_name: a\n    litellm_params: { model: azure/gpt }\n")).toContain(
      "model_list[0].litellm_params.api_base: azure deployments need api_base",
    );
  });

  it("gives stable ids from the entry, model_info.id when set", () => {
    const yaml = `model_list:
  - model_name: a
    litellm_params: { model: openai/x, api_base: "http://h:1/v1" }
  - model_name: a
    litellm_params: { model: openai/x, api_base: "http://h:1/v1" }
  - model_name: b
    litellm_params: { model: openai/y }
    model_info: { id: my-id }
`;
    const a = parseConfigText(yaml, "c.yaml", {});
    const b = parseConfigText(yaml, "c.yaml", {});
    expect(a.deployments.map((d) => d.id)).toEqual(b.deployments.map((d) => d.id));
    expect(new Set(a.deployments.map((d) => d.id)).size).toBe(3);
    expect(a.deployments[2].id).toBe("my-id");
  });

  it("rejects a master key without sk- and fallbacks to unknown models", () => {
    expect(problems("general_settings:\n  master_key: abc\n")).toContain(
      'general_settings.master_key: master key must start with "sk-"',
    );
    expect(
      problems(
        "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x }\nrouter_settings:\n  fallbacks: [{a: [zzz]}]\n",
      ),
    ).toContain('fallback model "zzz" is not in model_list');
  });

  it("infers regions from cloud names and Azure hosts, else unassigned", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x, region_name: swedencentral }
  - model_name: a
    litellm_params: { model: azure/x, api_base: "https://westeurope.api.cognitive.microsoft.com" }
  - model_name: a
    litellm_params: { model: openai/x, api_base: "https://eu.api.openai.com/v1" }
  - model_name: a
    litellm_params: { model: azure/x, api_base: "https://my-endpoint-europe-berri-992.openai.azure.com/" }
  - model_name: a
    litellm_params: { model: openai/x }
`,
      "c.yaml",
      {},
    );
    expect(c.deployments.map((d) => [d.geography, d.regionSource])).toEqual([
      ["eu", "region_name"],
      ["eu", "azure_host"],
      ["eu", "api_base"],
      [undefined, "unassigned"],
      [undefined, "api_base"],
    ]);
  });
});

describe("timeouts", () => {
  it("an explicit router stream_timeout beats a deployment's plain timeout", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x, timeout: 600 }
  - model_name: a
    litellm_params: { model: openai/y, timeout: 30, stream_timeout: 7 }
  - model_name: b
    litellm_params: { model: openai/z, timeout: 20 }
router_settings:
  stream_timeout: 5
`,
      "c.yaml",
      {},
    );
    expect(c.deployments.map((d) => [d.timeoutMs, d.streamTimeoutMs])).toEqual([
      [600_000, 5_000],
      [30_000, 7_000],
      [20_000, 5_000],
    ]);
    const noRouter = parseConfigText(
      "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x, timeout: 20 }\n",
      "c.yaml",
      {},
    );
    expect(noRouter.deployments[0].streamTimeoutMs).toBe(20_000);
  });

  it("rejects azure wildcards", () => {
    expect(() =>
      parseConfigText(
        "model_list:\n  - model_name: 'azure/*'\n    litellm_params: { model: 'azure/*', api_base: 'https://x.openai.azure.com' }\n",
        "c.yaml",
        {},
      ),
    ).toThrow(/wildcards are not supported for azure/);
  });
});

describe("helpful diagnostics", () => {
  it("reports missing variables, bad values and typo'd keys in one go", () => {
    const msg = problems(
      `model_list:
  - model_name: a
    litellm_params:
      model: openai/x
      api_key: os.environ/NOT_SET_ANYWHERE
      rpm: lots
      regoin_name: eu
`,
      {},
    );
    expect(msg.split("\n")).toEqual([
      "config.yaml:5 model_list[0].litellm_params.api_key: environment variable NOT_SET_ANYWHERE is not set",
      "config.yaml:6 model_list[0].litellm_params.rpm: expected a number",
      'warning: config.yaml:7 model_list[0].litellm_params.regoin_name: unknown key "regoin_name" (did you mean "region_name"?) (ignored)',
    ]);
  });

  it("lists the geographies for an unknown region", () => {
    const msg = problems(
      "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x, region_name: mars }\n",
    );
    expect(msg).toContain('unknown region "mars": use a geography (eu, us, uk,');
  });

  it("warns about deployments left without a region when the config uses regions", () => {
    const c = parseConfigText(
      `model_list:
  - model_name: a
    litellm_params: { model: openai/x, api_base: "https://eu.api.openai.com/v1", region_name: eu }
  - model_name: a
    litellm_params: { model: azure/x, api_base: "https://custom-name.openai.azure.com" }
    model_info: { azure_deployment_type: Standard }
`,
      "config.yaml",
      {},
    );
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(
      /^config.yaml:5 model_list\[1\]\.litellm_params: deployment "\w+" has no region/,
    );
    const none = parseConfigText(
      "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x }\n",
      "c.yaml",
      {},
    );
    expect(none.warnings).toEqual([]);
  });
});
