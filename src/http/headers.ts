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
