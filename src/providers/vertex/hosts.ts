import { DEFAULT_VERTEX_LOCATION } from "./region.js";

/** Google AI Studio's Gemini API: one global host, no regions. */
export const GEMINI_API_BASE = "https://generativelanguage.googleapis.com";

/**
 * The Vertex AI host for a location: `{location}-aiplatform.googleapis.com` for a region, the global
 * host for `global`, and the multi-region hosts `aiplatform.{eu|us}.rep.googleapis.com`, whose
 * requests stay in the jurisdiction.
 */
export function vertexApiBase(location: string): string {
  const l = location.toLowerCase();
  if (l === "global") return "https://aiplatform.googleapis.com";
  if (l === "eu" || l === "us") return `https://aiplatform.${l}.rep.googleapis.com`;
  return `https://${l}-aiplatform.googleapis.com`;
}

/** vertex_location as requests use it: LiteLLM's default when unset. */
export function vertexLocationOf(raw: string | undefined): string {
  return (raw ?? DEFAULT_VERTEX_LOCATION).trim().toLowerCase();
}
