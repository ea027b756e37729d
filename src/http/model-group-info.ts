import { type Deployment, describeDeployment } from "../router/deployment.js";

/**
 * The parameters a client may send per operation, as LiteLLM reports them for OpenAI-format
 * deployments (both providers Meridian serves speak that format, so the list depends on mode only).
 */
const CHAT_PARAMS = [
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "presence_penalty",
  "seed",
  "stop",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "tools",
  "tool_choice",
  "function_call",
  "functions",
  "parallel_tool_calls",
  "response_format",
  "user",
];
const COMPLETION_PARAMS = [
  "best_of",
  "echo",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "max_tokens",
  "n",
  "presence_penalty",
  "seed",
  "stop",
  "stream",
  "suffix",
  "temperature",
  "top_p",
  "user",
];
const EMBEDDING_PARAMS = ["user", "encoding_format", "dimensions"];

export function supportedParams(mode: Deployment["mode"]): string[] {
  if (mode === "embedding") return [...EMBEDDING_PARAMS];
  if (mode === "completion") return [...COMPLETION_PARAMS];
  return [...CHAT_PARAMS];
}

/** LiteLLM's ModelGroupInfo, plus the geographies the group can serve (residency is the point). */
export interface ModelGroupInfo {
  model_group: string;
  providers: string[];
  max_input_tokens: number | null;
  max_output_tokens: number | null;
  input_cost_per_token: number | null;
  output_cost_per_token: number | null;
  mode: string;
  tpm: number | null;
  rpm: number | null;
  supports_parallel_function_calling: boolean;
  supports_vision: boolean;
  supports_function_calling: boolean;
  supported_openai_params: string[];
  /** Geographies of the group's deployments; a deployment without one serves no pinned customer. */
  regions: string[];
  /** Deployments with no geography (served only to unrestricted callers). */
  unassigned_deployments: number;
  deployment_ids: string[];
}

/**
 * One entry per model group, in config order. Limits are the smallest of the group's
 * deployments (what every deployment can take); costs the highest (what a call may cost);
 * tpm/rpm the sum (LiteLLM's rule: the group's capacity).
 */
export function modelGroupInfo(deployments: readonly Deployment[]): ModelGroupInfo[] {
  const groups = new Map<string, Deployment[]>();
  for (const d of deployments) {
    const list = groups.get(d.modelGroup);
    if (list) list.push(d);
    else groups.set(d.modelGroup, [d]);
  }
  return [...groups].map(([group, ds]) => {
    const mode = ds.find((d) => d.mode !== undefined)?.mode ?? "chat";
    return {
      model_group: group,
      providers: unique(ds.map((d) => d.provider)),
      max_input_tokens: pick(
        ds.map((d) => d.maxInputTokens),
        Math.min,
      ),
      max_output_tokens: pick(
        ds.map((d) => d.maxOutputTokens),
        Math.min,
      ),
      input_cost_per_token: pick(
        ds.map((d) => d.inputCostPerToken),
        Math.max,
      ),
      output_cost_per_token: pick(
        ds.map((d) => d.outputCostPerToken),
        Math.max,
      ),
      mode,
      tpm: sum(ds.map((d) => d.tpm)),
      rpm: sum(ds.map((d) => d.rpm)),
      supports_parallel_function_calling: mode === "chat",
      supports_vision: false,
      supports_function_calling: mode === "chat",
      supported_openai_params: supportedParams(mode),
      regions: unique(ds.flatMap((d) => (d.geography ? [d.geography] : []))).sort(),
      unassigned_deployments: ds.filter((d) => d.geography === undefined).length,
      deployment_ids: ds.map((d) => d.id),
    };
  });
}

/** `/v2/model/info`: `/model/info`'s entry with model_info filled in as LiteLLM's v2 does. */
export function modelInfoV2(d: Deployment): Record<string, unknown> {
  const base = describeDeployment(d);
  return {
    ...base,
    model_info: {
      ...(base.model_info as Record<string, unknown>),
      litellm_provider: d.provider,
      max_tokens: d.maxOutputTokens ?? null,
      max_input_tokens: d.maxInputTokens ?? null,
      max_output_tokens: d.maxOutputTokens ?? null,
      mode: d.mode ?? "chat",
      supported_openai_params: supportedParams(d.mode),
      access_groups: [...(d.accessGroups ?? [])],
      region: d.geography ?? null,
      region_name: d.regionName ?? null,
      db_model: false,
    },
  };
}

/** Distinct model_info.access_groups across deployments, in first-seen order. */
export function accessGroups(deployments: readonly Deployment[]): string[] {
  return unique(deployments.flatMap((d) => d.accessGroups ?? []));
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function pick(xs: ReadonlyArray<number | undefined>, f: (...n: number[]) => number): number | null {
  const known = xs.filter((x): x is number => x !== undefined);
  return known.length ? f(...known) : null;
}

/** Unknown on any deployment means the group has no limit of that kind to report. */
function sum(xs: ReadonlyArray<number | undefined>): number | null {
  if (xs.length === 0 || xs.some((x) => x === undefined)) return null;
  return (xs as number[]).reduce((a, b) => a + b, 0);
}
