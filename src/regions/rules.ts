import { anthropicRegion } from "../providers/anthropic/region.js";
import { vertexRegion } from "../providers/vertex/region.js";
import { azureRegion } from "./azure-type.js";
import type { RegionRule } from "./evidence.js";
import { openaiRegion } from "./openai-host.js";

/**
 * Each provider's residency rule (evidence.ts), keyed by provider name. A provider without one
 * is judged by region_name and the generic inference of infer.ts. One line per provider.
 */
export const REGION_RULES: Readonly<Record<string, RegionRule>> = {
  openai: openaiRegion,
  azure: azureRegion,
  anthropic: anthropicRegion,
  vertex_ai: vertexRegion,
  gemini: vertexRegion,
};
