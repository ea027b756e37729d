import type { Problem } from "./problem.js";
import type { Path } from "./yaml-lines.js";

/**
 * LiteLLM settings that decide who may call the gateway or what a caller may reach. Meridian does
 * not implement them, and ignoring one would open what the operator meant to close (a config with
 * `enable_jwt_auth` would otherwise start with no auth at all), so each stops startup unless the
 * operator lists it in `general_settings.meridian_ignore_unsupported`.
 */
export const ACCESS_SETTINGS: ReadonlyArray<{ section: string; key: string; what: string }> = [
  { section: "general_settings", key: "enable_jwt_auth", what: "JWT authentication" },
  { section: "general_settings", key: "litellm_jwtauth", what: "JWT authentication settings" },
  { section: "general_settings", key: "custom_auth", what: "a custom auth function" },
  { section: "general_settings", key: "custom_auth_settings", what: "custom auth settings" },
  { section: "general_settings", key: "custom_sso", what: "custom SSO" },
  { section: "general_settings", key: "enable_oauth2_auth", what: "OAuth2 token auth" },
  { section: "general_settings", key: "enable_oauth2_proxy_auth", what: "OAuth2 proxy auth" },
  { section: "general_settings", key: "oauth2_config_mappings", what: "OAuth2 mappings" },
  { section: "general_settings", key: "allowed_routes", what: "route allowlists" },
  { section: "general_settings", key: "admin_only_routes", what: "admin-only routes" },
  { section: "general_settings", key: "public_routes", what: "public routes" },
  { section: "general_settings", key: "allowed_ips", what: "IP allowlists" },
  { section: "general_settings", key: "enforce_user_param", what: "requiring `user` on requests" },
  { section: "general_settings", key: "enforce_rbac", what: "role-based access control" },
  { section: "general_settings", key: "role_permissions", what: "role permissions" },
  // The end user decides a request's region: a header LiteLLM would read it from must not be ignored.
  { section: "general_settings", key: "user_header_name", what: "end user ids from a header" },
  { section: "general_settings", key: "user_header_mappings", what: "end user ids from headers" },
  { section: "general_settings", key: "pass_through_endpoints", what: "pass-through endpoints" },
  { section: "router_settings", key: "enable_tag_filtering", what: "tag-based routing restrictions" },
];

export const OVERRIDE_KEY = "meridian_ignore_unsupported";

/** A setting left at a value that switches nothing on is harmless (`enable_jwt_auth: false`, `[]`). */
function isOn(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** Problems (startup stops) for access settings in use, notices for those the operator overrode. */
export function checkAccessSettings(raw: Record<string, unknown>): {
  problems: Problem[];
  notices: Problem[];
} {
  const problems: Problem[] = [];
  const notices: Problem[] = [];
  const gs = asObject(raw.general_settings);
  const overridePath: Path = ["general_settings", OVERRIDE_KEY];
  const overrideRaw = gs?.[OVERRIDE_KEY];
  const overridden = new Set<string>();
  if (overrideRaw !== undefined && overrideRaw !== null) {
    const list = Array.isArray(overrideRaw) ? overrideRaw : [overrideRaw];
    list.forEach((k, i) => {
      const known = ACCESS_SETTINGS.some((s) => s.key === k);
      if (typeof k === "string" && known) overridden.add(k);
      else
        problems.push({
          path: Array.isArray(overrideRaw) ? [...overridePath, i] : overridePath,
          message: `"${String(k)}" is not one of the settings that can be ignored (${ACCESS_SETTINGS.map((s) => s.key).join(", ")})`,
        });
    });
  }
  for (const s of ACCESS_SETTINGS) {
    const section = asObject(raw[s.section]);
    if (!section || !isOn(section[s.key])) continue;
    const path: Path = [s.section, s.key];
    if (overridden.has(s.key)) {
      notices.push({
        path,
        message: `${s.what} is not supported and is IGNORED (listed in general_settings.${OVERRIDE_KEY}): access is not restricted by it`,
      });
    } else {
      problems.push({
        path,
        message: `${s.what} is not supported by Meridian; starting without it could let in callers this setting keeps out. Remove it, or list "${s.key}" in general_settings.${OVERRIDE_KEY} to start anyway`,
      });
    }
  }
  return { problems, notices };
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
