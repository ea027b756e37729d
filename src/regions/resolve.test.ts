import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../config/load.js";
import type { EvidenceInput } from "./evidence.js";
import { resolveResidency } from "./resolve.js";

const input = (over: Partial<EvidenceInput>): EvidenceInput => ({
  provider: "openai",
  upstreamModel: "m",
  apiBase: "http://10.0.0.1/v1",
  params: {},
  modelInfo: {},
  ...over,
});

function load(entries: string) {
  return parseConfigText(`model_list:\n${entries}`, "cfg.yaml", {});
}
function problem(entries: string): string {
  try {
    load(entries);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("residency evidence: OpenAI hosts", () => {
  it.each([
    ["eu", "eu"],
    ["us", "us"],
    ["au", "au"],
    ["in", "in"],
    ["jp", "jp"],
    ["ae", "ae"],
  ])("%s.api.openai.com -> %s", (label, geo) => {
    const r = resolveResidency(input({ apiBase: `https://${label}.api.openai.com/v1` }));
    expect(r).toMatchObject({ ok: true, geography: geo, source: "api_base" });
    expect(r.ok && r.evidence).toContain(`${label}.api.openai.com`);
  });

  it("api.openai.com is unassigned, with the reason", () => {
    const c = load("  - model_name: a\n    litellm_params: { model: openai/gpt-4o }\n");
    expect(c.deployments[0].geography).toBeUndefined();
    expect(c.deployments[0].evidence).toContain("global endpoint");
  });

  it("a region_name contradicting the host stops startup with file, line and reason", () => {
    const msg = problem(
      '  - model_name: a\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: "https://us.api.openai.com/v1"\n      region_name: eu\n',
    );
    expect(msg).toMatch(
      /^cfg.yaml:6 model_list\[0\]\.litellm_params\.region_name: region_name "eu" \(eu\) contradicts/,
    );
    expect(msg).toContain("us.api.openai.com");
  });

  it("a self-hosted base URL proves nothing: region_name decides", () => {
    const r = resolveResidency(input({ params: { region_name: "westeurope" } }));
    expect(r).toMatchObject({ ok: true, geography: "eu", source: "region_name", raw: "westeurope" });
  });
});

describe("residency evidence: Azure deployment types", () => {
  const azure = (info: string, extra = "") =>
    `  - model_name: a\n    litellm_params: { model: azure/d, api_base: "https://westeurope.api.cognitive.microsoft.com"${extra} }\n    model_info: { ${info} }\n`;

  it("Standard stays in the resource's region; DataZoneStandard in its zone", () => {
    for (const t of ["Standard", "DataZoneStandard", "data_zone_standard"]) {
      const d = load(azure(`azure_deployment_type: ${t}`)).deployments[0];
      expect([d.geography, d.regionSource]).toEqual(["eu", "azure_host"]);
      expect(d.evidence).toContain("westeurope");
    }
  });

  it("Global* is unassigned even on a European resource", () => {
    for (const t of ["GlobalStandard", "GlobalProvisionedManaged", "GlobalBatch"]) {
      const d = load(azure(`azure_deployment_type: ${t}`)).deployments[0];
      expect(d.geography).toBeUndefined();
      expect(d.evidence).toContain("any geography");
    }
  });

  it("region_name: eu on a declared Global deployment stops startup at the region_name line", () => {
    const msg = problem(
      '  - model_name: a\n    litellm_params:\n      model: azure/d\n      api_base: "https://x.openai.azure.com"\n      region_name: eu\n    model_info:\n      azure_deployment_type: GlobalStandard\n',
    );
    expect(msg).toMatch(
      /^cfg.yaml:6 model_list\[0\]\.litellm_params\.region_name: region_name "eu" contradicts the deployment's own settings: azure_deployment_type: GlobalStandard/,
    );
  });

  it("an undeclared type gives one located warning and keeps region_name", () => {
    const c = load(
      '  - model_name: a\n    litellm_params: { model: azure/d, api_base: "https://x.openai.azure.com", region_name: eu }\n',
    );
    expect(c.deployments[0].geography).toBe("eu");
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(
      /^cfg.yaml:2 model_list\[0\]\.model_info: Azure deployment type not declared/,
    );
  });

  it("an unknown type stops startup; a data zone wider than the region it names never places it", () => {
    expect(problem(azure("azure_deployment_type: Sideways"))).toMatch(
      /^cfg.yaml:4 model_list\[0\]\.model_info\.azure_deployment_type: unknown Azure deployment type "Sideways"/,
    );
    // Japan East's data zone is APAC: a jp claim is refused, and without one it is unassigned.
    expect(
      problem(
        '  - model_name: a\n    litellm_params: { model: azure/d, api_base: "https://x.openai.azure.com", region_name: japaneast }\n    model_info: { azure_deployment_type: DataZoneStandard }\n',
      ),
    ).toContain("wider than jp");
    const apac = load(
      '  - model_name: a\n    litellm_params: { model: azure/d, api_base: "https://japaneast.api.cognitive.microsoft.com" }\n    model_info: { azure_deployment_type: DataZoneStandard }\n',
    );
    expect(apac.deployments[0].geography).toBeUndefined();
  });
});

describe("residency evidence: Anthropic inference_geo", () => {
  const anthropic = (params: Record<string, unknown>) => input({ provider: "anthropic", params });
  it("inference_geo: us -> us; unset or global -> unassigned", () => {
    expect(resolveResidency(anthropic({ inference_geo: "us" }))).toMatchObject({
      ok: true,
      geography: "us",
      source: "inference_geo",
    });
    for (const p of [{}, { inference_geo: "global" }])
      expect(resolveResidency(anthropic(p))).toMatchObject({ ok: true, geography: undefined });
  });
  it("region_name eu is refused: Anthropic has no EU processing", () => {
    const r = resolveResidency(anthropic({ region_name: "eu" }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem.message).toContain("Bedrock eu.");
    expect(resolveResidency(anthropic({ region_name: "eu", inference_geo: "us" })).ok).toBe(false);
    expect(resolveResidency(anthropic({ region_name: "us", inference_geo: "us" }))).toMatchObject({
      ok: true,
      geography: "us",
    });
  });
});

describe("residency evidence: the rule table", () => {
  it("a provider's rule is one entry: null geography refuses region_name, a geography places it", () => {
    const rules = {
      toy: (i: EvidenceInput) =>
        i.upstreamModel.startsWith("global.")
          ? { geography: null, evidence: "global profile", source: "model" }
          : { geography: "eu" as const, evidence: "eu profile", source: "model" },
    };
    const toy = (model: string, params: Record<string, unknown> = {}) =>
      resolveResidency(input({ provider: "toy", upstreamModel: model, params }), rules);
    expect(toy("eu.m")).toMatchObject({ ok: true, geography: "eu", evidence: "eu profile" });
    expect(toy("global.m")).toMatchObject({ ok: true, geography: undefined });
    expect(toy("global.m", { region_name: "eu" })).toMatchObject({ ok: false });
    expect(toy("eu.m", { region_name: "us" })).toMatchObject({ ok: false });
    // A mock deployment sends nothing: its rule is not consulted.
    expect(toy("global.m", { region_name: "eu", mock_response: "hi" })).toMatchObject({
      ok: true,
      geography: "eu",
    });
  });
});
