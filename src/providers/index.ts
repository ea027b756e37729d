import type { ProviderName } from "../router/deployment.js";
import { anthropicProvider } from "./anthropic/index.js";
import { azureProvider } from "./azure.js";
import type { Provider } from "./contract.js";
import { openaiProvider } from "./openai.js";

export const PROVIDERS: Readonly<Record<ProviderName, Provider>> = {
  openai: openaiProvider,
  azure: azureProvider,
  anthropic: anthropicProvider,
};

export type { Provider, UpstreamTarget } from "./contract.js";
