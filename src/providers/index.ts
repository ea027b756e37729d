import type { ProviderName } from "../router/deployment.js";
import { azureProvider } from "./azure.js";
import { openaiProvider } from "./openai.js";
import type { Provider } from "./types.js";

export const PROVIDERS: Readonly<Record<ProviderName, Provider>> = {
  openai: openaiProvider,
  azure: azureProvider,
};

export type { Provider, UpstreamTarget } from "./types.js";
