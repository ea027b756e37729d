import type { ProviderName } from "../router/deployment.js";
import { anthropicProvider } from "./anthropic/index.js";
import { azureProvider } from "./azure.js";
import type { Provider } from "./contract.js";
import { openaiProvider } from "./openai.js";
import { geminiProvider, vertexProvider } from "./vertex/provider.js";

export const PROVIDERS: Readonly<Record<ProviderName, Provider>> = {
  openai: openaiProvider,
  azure: azureProvider,
  vertex_ai: vertexProvider,
  gemini: geminiProvider,
  anthropic: anthropicProvider,
};

export type { Provider, UpstreamTarget } from "./contract.js";
