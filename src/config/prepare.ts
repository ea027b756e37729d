import type { Problem } from "./problem.js";
import type { Path } from "./yaml-lines.js";

/**
 * Steps LiteLLM takes on a config before it reads any value, done on the plain YAML data so the
 * schema judges what LiteLLM would use. Pure: `env` is only read.
 */

/** `api_key:` with nothing after it, or a section holding only comments: PyYAML's None, i.e. not set. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = dropNulls(v);
    return out;
  }
  return value;
}

const prefixOf = (model: string) => {
  const slash = model.indexOf("/");
  return slash > 0 ? model.slice(0, slash) : "openai";
};

/**
 * A deployment of a provider Meridian skips keeps only what is needed to skip it (its group and
 * model), so its other settings — an unset variable, a provider-specific value — cannot stop startup.
 */
export function minimizeSkipped(raw: Record<string, unknown>, supported: ReadonlySet<string>): void {
  if (!Array.isArray(raw.model_list)) return;
  raw.model_list = raw.model_list.map((entry) => {
    const e = asObject(entry);
    const p = asObject(e?.litellm_params);
    if (!e || !p || typeof p.model !== "string" || supported.has(prefixOf(p.model))) return entry;
    // The id stays: fallbacks may name it, and are then dropped with a notice rather than refused.
    const id = asObject(e.model_info)?.id;
    const keepId = typeof id === "string" || typeof id === "number";
    return {
      model_name: e.model_name,
      litellm_params: { model: p.model },
      ...(keepId ? { model_info: { id } } : {}),
    };
  });
}

/**
 * `credential_list` + `litellm_params.litellm_credential_name`: the named credential's values fill
 * what the deployment does not set itself (LiteLLM: explicit params win).
 */
export function applyCredentials(raw: Record<string, unknown>, problems: Problem[]): void {
  const byName = new Map<string, Record<string, unknown>>();
  if (Array.isArray(raw.credential_list)) {
    for (const c of raw.credential_list) {
      const o = asObject(c);
      const values = asObject(o?.credential_values);
      if (o && typeof o.credential_name === "string" && values) byName.set(o.credential_name, values);
    }
  }
  eachParams(raw, (p, i) => {
    const name = p.litellm_credential_name;
    if (name === undefined) return;
    const values = typeof name === "string" ? byName.get(name) : undefined;
    if (!values) {
      problems.push({
        path: ["model_list", i, "litellm_params", "litellm_credential_name"],
        message: `no credential named "${String(name)}" in credential_list`,
      });
      return;
    }
    for (const [k, v] of Object.entries(values)) if (p[k] === undefined) p[k] = v;
  });
}

/** Environment variables LiteLLM falls back to, per provider prefix and param, first set wins. */
const ENV_FALLBACKS: Record<string, Record<string, readonly string[]>> = {
  openai: { api_key: ["OPENAI_API_KEY"], api_base: ["OPENAI_BASE_URL", "OPENAI_API_BASE"] },
  "text-completion-openai": {
    api_key: ["OPENAI_API_KEY"],
    api_base: ["OPENAI_BASE_URL", "OPENAI_API_BASE"],
  },
  azure: {
    api_key: ["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"],
    api_base: ["AZURE_API_BASE"],
    api_version: ["AZURE_API_VERSION"],
  },
  hosted_vllm: { api_key: ["HOSTED_VLLM_API_KEY"], api_base: ["HOSTED_VLLM_API_BASE"] },
  vertex_ai: {
    vertex_project: ["VERTEXAI_PROJECT"],
    vertex_location: ["VERTEXAI_LOCATION"],
    vertex_credentials: ["VERTEXAI_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"],
  },
  gemini: { api_key: ["GEMINI_API_KEY"], api_base: ["GEMINI_API_BASE"] },
  anthropic: { api_key: ["ANTHROPIC_API_KEY"], api_base: ["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"] },
};

/**
 * Fill unset api_key / api_base / api_version from the provider's environment variables.
 * Returns where each filled value came from, so an error about it can name the variable.
 */
export function applyEnvFallbacks(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const from = new Map<string, string>();
  eachParams(raw, (p, i) => {
    if (typeof p.model !== "string" || p.mock_response !== undefined) return;
    const table = ENV_FALLBACKS[prefixOf(p.model)];
    if (!table) return;
    for (const [param, names] of Object.entries(table)) {
      // base_url is LiteLLM's other spelling of api_base.
      if (p[param] !== undefined || (param === "api_base" && p.base_url !== undefined)) continue;
      const name = names.find((n) => env[n]);
      if (!name) continue;
      p[param] = env[name];
      from.set(pathKey(["model_list", i, "litellm_params", param]), name);
    }
  });
  return from;
}

export const pathKey = (p: Path) => p.join("\u0000");

function eachParams(raw: Record<string, unknown>, f: (p: Record<string, unknown>, i: number) => void): void {
  if (!Array.isArray(raw.model_list)) return;
  raw.model_list.forEach((entry, i) => {
    const p = asObject(asObject(entry)?.litellm_params);
    if (p) f(p, i);
  });
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
