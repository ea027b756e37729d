import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { type GatewayConfig, normalize, SUPPORTED } from "./normalize.js";
import { applyCredentials, applyEnvFallbacks, dropNulls, minimizeSkipped, pathKey } from "./prepare.js";
import type { Problem } from "./problem.js";
import { configSchema } from "./schema.js";
import { checkAccessSettings } from "./security.js";
import { unknownKeys } from "./unknown-keys.js";
import { formatPath, lineOf, type Path } from "./yaml-lines.js";
import { PYYAML_OPTIONS } from "./yaml11.js";

/** A problem in the config file, always pointing at file, line and key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EACCES" ? "permission denied" : String(err);
    throw new ConfigError([`${file}: cannot read config: ${why}`]);
  }
  return parseConfigText(text, file, env);
}

export interface ParseOptions {
  /**
   * Provider prefixes beyond the built-in ones (`toy/model` → provider "toy"), for providers handed
   * to build() by whoever embeds the gateway (the tests' toy translating provider). Each names its
   * own provider; the built-in prefixes cannot be overridden.
   */
  extraProviders?: readonly string[];
}

export function parseConfigText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  options: ParseOptions = {},
): GatewayConfig {
  const extraProviders = options.extraProviders ?? [];
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    ...PYYAML_OPTIONS,
    lineCounter: counter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map(
        (e) => `${file}:${counter.linePos(e.pos[0]).line} invalid YAML: ${e.message.split("\n")[0]}`,
      ),
    );
  }
  // A value filled from a provider's environment variable has no line of its own: name the variable.
  let fromEnv = new Map<string, string>();
  const where = (p: Problem) => {
    const v = fromEnv.get(pathKey(p.path));
    const origin = v ? ` (value from environment variable ${v})` : "";
    return `${file}:${lineOf(doc, counter, p.path) ?? "?"} ${formatPath(p.path) || "(root)"}: ${p.message}${origin}`;
  };

  const raw = dropNulls(doc.toJS() ?? {});
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError([`${file}:1 (root): expected a mapping with model_list, router_settings, ...`]);
  }
  const rawObj = raw as Record<string, unknown>;
  const access = checkAccessSettings(rawObj);
  minimizeSkipped(rawObj, new Set([...Object.keys(SUPPORTED), ...extraProviders]));

  // LiteLLM sets environment_variables before resolving os.environ/ references.
  const envVars = rawObj.environment_variables;
  const scope: NodeJS.ProcessEnv = { ...env };
  if (envVars && typeof envVars === "object") {
    for (const [k, v] of Object.entries(envVars)) if (v != null) scope[k] = String(v);
  }
  const envProblems: Problem[] = [];
  const resolved = resolveEnv(raw, scope, [], envProblems) as Record<string, unknown>;
  applyCredentials(resolved, envProblems);
  fromEnv = applyEnvFallbacks(resolved, scope);

  // Report everything wrong in one go: missing variables, type errors, then (as they often explain
  // an error) the unknown keys. A value whose variable is missing is not judged again by the schema.
  const warnings = unknownKeys(configSchema, resolved).map((p) => `${where(p)} (ignored)`);
  const parsed = configSchema.safeParse(resolved);
  const envPaths = new Set(envProblems.map((p) => formatPath(p.path)));
  const schemaProblems = parsed.success
    ? []
    : zodProblems(parsed.error, resolved).filter((p) => !envPaths.has(formatPath(p.path)));
  const fail = (problems: Problem[]) =>
    new ConfigError([...problems.map(where), ...warnings.map((w) => `warning: ${w}`)]);
  if (access.problems.length > 0 || envProblems.length > 0 || !parsed.success)
    throw fail([...access.problems, ...envProblems, ...schemaProblems]);

  const result = normalize(parsed.data, env, extraProviders);
  if (result.problems.length > 0) throw fail(result.problems);
  return {
    ...result.config,
    file,
    warnings: [
      ...warnings,
      ...access.notices.map(where),
      ...result.notices.map(where),
      ...result.config.warnings.map((w) => `${file}: ${w}`),
    ],
  };
}

/** Replace every `os.environ/NAME` string; a missing variable is an error naming it. */
function resolveEnv(value: unknown, env: NodeJS.ProcessEnv, path: Path, problems: Problem[]): unknown {
  if (typeof value === "string") {
    if (!value.startsWith("os.environ/")) return value;
    const name = value.slice("os.environ/".length);
    const v = env[name];
    if (v === undefined || v === "") {
      problems.push({ path, message: `environment variable ${name} is not set` });
      return value;
    }
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, [...path, i], problems));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnv(v, env, [...path, k], problems);
    return out;
  }
  return value;
}

function zodProblems(err: z.ZodError, value: unknown): Problem[] {
  return err.issues.map((i) => {
    const path = i.path.filter((s): s is string | number => typeof s !== "symbol");
    // `region_name: no` is false to PyYAML and to us; say why a word became a boolean.
    const hint =
      typeof valueAt(value, path) === "boolean"
        ? " (YAML 1.1 reads unquoted yes/no/on/off as true/false: quote the value)"
        : "";
    return { path, message: `${i.message}${hint}` };
  });
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export type { GatewayConfig };
