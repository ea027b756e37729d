import { describe, expect, it } from "vitest";
import { build } from "../../src/app.js";
import { parseConfigText } from "../../src/config/load.js";
import { openStore } from "../../src/store/customers.js";

const YAML = `
model_list:
  - model_name: toy-chat
    litellm_params: { model: toy/toy-1, api_base: "http://127.0.0.1:9", region_name: eu }
  - model_name: gpt
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", region_name: eu }
`;

describe("configuring deployments of a provider registered beside the built-in ones", () => {
  it("a prefix the loader was not told about is skipped with a notice, as any unsupported provider", () => {
    const c = parseConfigText(YAML, "c.yaml", {});
    expect(c.deployments.map((d) => d.provider)).toEqual(["openai"]);
    expect(c.warnings.join("\n")).toMatch(/provider "toy" is not supported yet/);
  });

  it("a prefix named in extraProviders becomes that provider", () => {
    const c = parseConfigText(YAML, "c.yaml", {}, { extraProviders: ["toy"] });
    expect(c.deployments.map((d) => [d.provider, d.upstreamModel])).toEqual([
      ["toy", "toy-1"],
      ["openai", "gpt-4o"],
    ]);
  });

  it("build() refuses a config whose provider was not registered instead of starting half-wired", async () => {
    const config = parseConfigText(YAML, "c.yaml", {}, { extraProviders: ["toy"] });
    const store = await openStore("sqlite::memory:");
    try {
      await expect(build({ config, store, metrics: false })).rejects.toThrow(
        /provider "toy" is not registered/,
      );
    } finally {
      await store.close();
    }
  });
});
