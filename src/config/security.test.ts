import { describe, expect, it } from "vitest";
import { get, startHarness } from "../../test/harness.js";
import { ConfigError, parseConfigText } from "./load.js";
import { ACCESS_SETTINGS } from "./security.js";

const MODEL = `model_list:
  - model_name: a
    litellm_params: { model: openai/x, api_base: "http://127.0.0.1:9/v1", region_name: eu }
`;

function refusal(yaml: string): string {
  try {
    parseConfigText(yaml, "config.yaml", {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected startup to stop");
}

/** A value that switches the setting on, in the shape LiteLLM takes it. */
const ON: Record<string, string> = {
  enable_jwt_auth: "True",
  litellm_jwtauth: "{ admin_jwt_scope: litellm-proxy-admin }",
  custom_auth: "custom_auth.user_api_key_auth",
  custom_auth_settings: "{ mode: auto }",
  custom_sso: "custom_sso.custom_sso_handler",
  enable_oauth2_auth: "true",
  enable_oauth2_proxy_auth: "true",
  oauth2_config_mappings: "{ token: x-token }",
  allowed_routes: '["/v1/chat/completions"]',
  admin_only_routes: '["/key/generate"]',
  public_routes: '["/v1/models"]',
  allowed_ips: '["10.0.0.1"]',
  enforce_user_param: "true",
  enforce_rbac: "true",
  role_permissions: "[{ role: internal_user, models: [a] }]",
  user_header_name: "X-OpenWebUI-User-Id",
  user_header_mappings: "[{ header_name: X-User, litellm_user_role: customer }]",
  pass_through_endpoints: '[{ path: "/v1/rerank", target: "https://api.cohere.com/v1/rerank" }]',
  enable_tag_filtering: "True",
};

describe("access settings Meridian does not implement stop startup", () => {
  for (const s of ACCESS_SETTINGS) {
    it(`${s.section}.${s.key}`, () => {
      const value = ON[s.key];
      expect(value, "test has an 'on' value for every setting").toBeDefined();
      const master = s.section === "general_settings" ? "  master_key: sk-1234\n" : "";
      const msg = refusal(`${MODEL}${s.section}:\n  ${s.key}: ${value}\n${master}`);
      expect(msg).toContain(`config.yaml:5 ${s.section}.${s.key}: `);
      expect(msg).toContain("is not supported by Meridian");
      expect(msg).toContain("meridian_ignore_unsupported");
    });
  }

  it("values that switch nothing on are accepted", () => {
    const c = parseConfigText(
      `${MODEL}general_settings:\n  enable_jwt_auth: false\n  allowed_routes: []\n  custom_auth:\n  allowed_ips: ~\n`,
      "config.yaml",
      {},
    );
    expect(c.warnings).toEqual([]);
  });

  it("an override starts with a located warning, and the master key still guards every route", async () => {
    const yaml = `${MODEL}general_settings:
  master_key: sk-1234
  enable_jwt_auth: true
  meridian_ignore_unsupported: [enable_jwt_auth]
`;
    const h = await startHarness({ yaml, upstreams: [] });
    try {
      expect(h.built.gateway.config.warnings).toEqual([
        "test-config.yaml:6 general_settings.enable_jwt_auth: JWT authentication is not supported and is IGNORED (listed in general_settings.meridian_ignore_unsupported): access is not restricted by it",
      ]);
      const anon = await get(`${h.url}/v1/models`);
      expect(anon.status).toBe(401);
      expect(anon.json.error.code).toBe("invalid_api_key");
      expect((await get(`${h.url}/v1/models`, h.auth)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it("an override only covers the settings it names, and names only known ones", () => {
    const msg = refusal(`${MODEL}general_settings:
  custom_auth: my.auth
  allowed_ips: ["10.0.0.1"]
  meridian_ignore_unsupported: [custom_auth, enable_jwt_authh]
`);
    expect(msg).toContain("config.yaml:6 general_settings.allowed_ips: IP allowlists is not supported");
    expect(msg).not.toContain("general_settings.custom_auth:");
    expect(msg).toContain(
      'config.yaml:7 general_settings.meridian_ignore_unsupported[1]: "enable_jwt_authh" is not one of the settings',
    );
  });
});
