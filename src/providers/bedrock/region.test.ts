import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../config/load.js";
import { resolveResidency } from "../../regions/resolve.js";
import { bedrockRegion } from "./region.js";

const input = (upstreamModel: string, params: Record<string, unknown> = {}) => ({
  provider: "bedrock",
  upstreamModel,
  apiBase: "https://bedrock-runtime.eu-central-1.amazonaws.com",
  params: { model: `bedrock/${upstreamModel}`, ...params },
  modelInfo: {},
});
const CLAUDE = "anthropic.claude-3-7-sonnet-20250219-v1:0";

describe("Bedrock residency: the model id first, then the region it is called in", () => {
  it.each([
    [`eu.${CLAUDE}`, "us-east-1", "eu"],
    [`us.${CLAUDE}`, "eu-central-1", "us"],
    [`us-gov.${CLAUDE}`, undefined, "us"],
    [`jp.${CLAUDE}`, undefined, "jp"],
    [`au.${CLAUDE}`, undefined, "au"],
    [`global.${CLAUDE}`, "eu-central-1", null],
    [`apac.${CLAUDE}`, "ap-northeast-1", null],
    [CLAUDE, "eu-west-3", "eu"],
    [CLAUDE, "us-west-2", "us"],
    [`converse/eu.${CLAUDE}`, undefined, "eu"],
    [`arn:aws:bedrock:eu-central-1:123456789012:inference-profile/global.${CLAUDE}`, undefined, null],
    [`arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.${CLAUDE}`, undefined, "eu"],
    [`arn:aws:bedrock:eu-west-1:123456789012:foundation-model/${CLAUDE}`, "us-east-1", "eu"],
    ["amazon.titan-embed-text-v2:0", "eu-north-1", "eu"],
  ])("%s called from %s -> %s", (model, region, geography) => {
    const facts = bedrockRegion(input(model, region ? { aws_region_name: region } : {}));
    expect(facts.geography).toBe(geography);
  });

  it("a plain model id without a region, and an application profile ARN, prove nothing: region_name decides", () => {
    expect(bedrockRegion(input(CLAUDE)).geography).toBeUndefined();
    const app = "arn:aws:bedrock:eu-central-1:123456789012:application-inference-profile/abc123";
    expect(bedrockRegion(input(app)).geography).toBeUndefined();
    const r = resolveResidency(input(app, { region_name: "eu" }));
    expect(r.ok && r.geography).toBe("eu");
    const none = resolveResidency(input(CLAUDE));
    expect(none.ok && none.geography).toBeUndefined();
  });

  it("an eu. profile called from a US region is a located warning (AWS would refuse it)", () => {
    const w = bedrockRegion(input(`eu.${CLAUDE}`, { aws_region_name: "us-east-1" })).warnings ?? [];
    expect(w).toHaveLength(1);
    expect(w[0].key).toEqual(["litellm_params", "aws_region_name"]);
  });

  it.each([
    [`global.${CLAUDE}`, "eu", /contradicts.*"global\." routes to any commercial AWS region/],
    [`us.${CLAUDE}`, "eu", /contradicts.*place it in us/],
    [CLAUDE, "eu", /contradicts.*place it in us/],
  ])("%s with region_name %s stops startup with file, line and reason", (model, region, why) => {
    const yaml = `model_list:
  - model_name: c
    litellm_params:
      model: bedrock/${model}
      aws_region_name: us-east-1
      aws_access_key_id: AKID
      aws_secret_access_key: secret
      region_name: ${region}
`;
    expect(() => parseConfigText(yaml, "config.yaml", {})).toThrow(
      /config\.yaml:8 model_list\[0\]\.litellm_params\.region_name: region_name "eu".*/,
    );
    try {
      parseConfigText(yaml, "config.yaml", {});
    } catch (err) {
      expect((err as Error).message).toMatch(why);
    }
  });
});

describe("Bedrock settings from the config, as LiteLLM reads them", () => {
  const entry = (params: string) => `model_list:
  - model_name: c
    litellm_params:
      model: bedrock/eu.${CLAUDE}
${params}`;

  it("keys and region from AWS_* variables; the endpoint from the region", () => {
    const c = parseConfigText(entry("      rpm: 10\n"), "config.yaml", {
      AWS_ACCESS_KEY_ID: "AKIDENV",
      AWS_SECRET_ACCESS_KEY: "secret-env",
      AWS_REGION_NAME: "eu-west-3",
    });
    const d = c.deployments[0];
    expect(d.aws).toEqual({
      accessKeyId: "AKIDENV",
      secretAccessKey: "secret-env",
      sessionToken: undefined,
      region: "eu-west-3",
    });
    expect(d.apiBase).toBe("https://bedrock-runtime.eu-west-3.amazonaws.com");
    expect(d.geography).toBe("eu");
  });

  it("AWS_SESSION_TOKEN pairs only with keys from the environment, never with keys written in the config", () => {
    const env = { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "env-token" };
    const fromEnv = parseConfigText(entry("      aws_region_name: eu-central-1\n"), "c.yaml", env);
    expect(fromEnv.deployments[0].aws?.sessionToken).toBe("env-token");
    const written = parseConfigText(
      entry(
        "      aws_region_name: eu-central-1\n      aws_access_key_id: AKIDCFG\n      aws_secret_access_key: s2\n",
      ),
      "c.yaml",
      env,
    );
    expect(written.deployments[0].aws).toMatchObject({ accessKeyId: "AKIDCFG", sessionToken: undefined });
  });

  it("aws_bedrock_runtime_endpoint overrides the endpoint; api_base beats it", () => {
    const base =
      "      aws_access_key_id: A\n      aws_secret_access_key: S\n      aws_region_name: eu-central-1\n";
    const e = parseConfigText(
      entry(`${base}      aws_bedrock_runtime_endpoint: https://vpce.example.com\n`),
      "c.yaml",
      {},
    );
    expect(e.deployments[0].apiBase).toBe("https://vpce.example.com");
    const a = parseConfigText(
      entry(
        `${base}      aws_bedrock_runtime_endpoint: https://vpce.example.com\n      api_base: https://proxy.example.com\n`,
      ),
      "c.yaml",
      {},
    );
    expect(a.deployments[0].apiBase).toBe("https://proxy.example.com");
  });

  it("no keys anywhere: skipped with a located notice, the rest of the config serves", () => {
    const c = parseConfigText(
      `${entry("      aws_region_name: eu-central-1\n")}  - model_name: g
    litellm_params: { model: openai/gpt-4o }
`,
      "config.yaml",
      {},
    );
    expect(c.deployments.map((d) => d.modelGroup)).toEqual(["g"]);
    expect(c.warnings.join("\n")).toMatch(
      /^config\.yaml:3 model_list\[0\]\.litellm_params\.aws_access_key_id: bedrock deployments need aws_access_key_id/m,
    );
  });

  it("the secret never shapes the deployment's id", () => {
    const withSecret = (s: string) =>
      parseConfigText(entry(`      aws_access_key_id: A\n      aws_secret_access_key: ${s}\n`), "c.yaml", {})
        .deployments[0].id;
    expect(withSecret("one")).toBe(withSecret("two"));
  });
});
