import { describe, expect, it } from "vitest";
import { parseConfigText } from "../config/load.js";
import { checkReport } from "./check.js";

const yaml = `model_list:
  - model_name: chat
    litellm_params: { model: openai/gpt-4o, api_base: "https://eu.api.openai.com/v1" }
    model_info: { id: chat-eu }
  - model_name: chat
    litellm_params: { model: openai/gpt-4o, api_base: "https://us.api.openai.com/v1" }
    model_info: { id: chat-us }
  - model_name: chat
    litellm_params: { model: openai/gpt-4o }
    model_info: { id: chat-global }
  - model_name: embed
    litellm_params: { model: openai/text-embedding-3-small, api_base: "https://us.api.openai.com/v1" }
    model_info: { id: embed-us }
router_settings:
  fallbacks: [{ "embed": ["chat-eu"] }]
`;

describe("meridian check report", () => {
  it("lists each group's deployments by geography, unassigned last, with evidence", () => {
    const r = checkReport(parseConfigText(yaml, "c.yaml", {}));
    const chat = r.lines.slice(0, r.lines.indexOf('model group "embed" (1 deployment)'));
    expect(chat.map((l) => l.split("  api_base")[0].trimEnd())).toEqual([
      'model group "chat" (3 deployments)',
      "  eu:",
      "    chat-eu  openai/gpt-4o",
      "  us:",
      "    chat-us  openai/gpt-4o",
      "  unassigned (never serves a region-pinned customer):",
      "    chat-global  openai/gpt-4o",
    ]);
    expect(chat[6]).toContain("global endpoint");
    expect(r.lines.at(-1)).toBe(
      "4 deployments in 2 model groups; 1 unassigned; pinned geographies in use: eu, us",
    );
  });

  it("warns about a group a pinned customer could never use, naming its fallbacks", () => {
    const r = checkReport(parseConfigText(yaml, "c.yaml", {}));
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^c.yaml:9 model_list\[2\]\.litellm_params: deployment "chat-global" has no region/,
      ),
      'model group "embed": a customer pinned to eu could never use it except through its fallbacks (chat-eu); it has us deployments only',
    ]);
    const full = checkReport(
      parseConfigText(yaml.replace('fallbacks: [{ "embed": ["chat-eu"] }]', "num_retries: 1"), "c.yaml", {}),
    );
    expect(full.warnings.slice(1)).toEqual([
      'model group "embed": a customer pinned to eu could never use it; it has us deployments only',
    ]);
  });

  it("a config using no regions has nothing to warn about", () => {
    const r = checkReport(
      parseConfigText(
        "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x }\n",
        "c.yaml",
        {},
      ),
    );
    expect(r.warnings).toEqual([]);
  });
});
