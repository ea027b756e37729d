import { type Deployment, publicApiBase } from "../router/deployment.js";
import { VERSION } from "../version.js";

/** Response headers that depend only on the serving deployment: built once per deployment. */
export function deploymentHeaders(d: Deployment): Record<string, string> {
  const h: Record<string, string> = {
    "x-litellm-model-id": d.id,
    "x-litellm-model-group": d.modelGroup,
    "x-litellm-version": VERSION,
  };
  const apiBase = publicApiBase(d.apiBase);
  if (apiBase) {
    h["x-litellm-model-api-base"] = apiBase;
    h["x-litellm-api-base"] = apiBase;
  }
  if (d.geography) h["x-litellm-model-region"] = d.geography;
  if (d.regionName && d.regionName !== d.geography) h["x-meridian-deployment-region"] = d.regionName;
  return h;
}

/** Cost of a non-streaming response from its `usage`, read off the tail of the raw body (no full parse). */
export function responseCost(d: Deployment, body: Buffer): number | undefined {
  if (d.inputCostPerToken === undefined && d.outputCostPerToken === undefined) return undefined;
  const u = usageOf(body);
  if (!u) return undefined;
  return u.prompt * (d.inputCostPerToken ?? 0) + u.completion * (d.outputCostPerToken ?? 0);
}

const PROMPT = /"prompt_tokens"\s*:\s*(\d+)/;
const COMPLETION = /"completion_tokens"\s*:\s*(\d+)/;
const TOTAL = /"total_tokens"\s*:\s*(\d+)/;

export function usageOf(body: Buffer): { prompt: number; completion: number; total: number } | undefined {
  const at = body.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const tail = body.toString("latin1", at, Math.min(body.length, at + 600));
  const p = PROMPT.exec(tail);
  const c = COMPLETION.exec(tail);
  const t = TOTAL.exec(tail);
  if (!p && !t) return undefined;
  const prompt = p ? Number(p[1]) : 0;
  const completion = c ? Number(c[1]) : 0;
  return { prompt, completion, total: t ? Number(t[1]) : prompt + completion };
}
