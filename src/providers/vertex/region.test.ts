import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../config/load.js";
import { inferVertexRegion } from "./region.js";

describe("inferVertexRegion (pure)", () => {
  it.each([
    ["europe-west4", "eu"],
    ["europe-west3", "eu"],
    ["eu", "eu"],
    ["us", "us"],
    ["us-central1", "us"],
    ["europe-west2", "uk"],
    ["europe-west6", "ch"],
    ["global", null],
    ["me-central2", null],
    ["mars-north1", null],
  ])("vertex_location %s -> %s", (loc, geo) => {
    const r = inferVertexRegion({ provider: "vertex_ai", vertex_location: loc });
    expect(r.geography).toBe(geo);
    expect(r.evidence).toContain(loc);
    expect(r.contradiction).toBeUndefined();
  });

  it("no vertex_location is LiteLLM's default us-central1: us, and the evidence says so", () => {
    const r = inferVertexRegion({ provider: "vertex_ai" });
    expect(r).toMatchObject({ geography: "us", location: "us-central1" });
    expect(r.evidence).toMatch(/unset.*us-central1/);
  });

  it("AI Studio (gemini/) is unassigned whatever it is called", () => {
    expect(inferVertexRegion({ provider: "gemini" }).geography).toBeNull();
    expect(inferVertexRegion({ provider: "gemini", region_name: "eu" }).contradiction).toMatch(/AI Studio/);
  });

  it("region_name may repeat the evidence, never overrule it", () => {
    expect(
      inferVertexRegion({ provider: "vertex_ai", vertex_location: "europe-west4", region_name: "eu" }),
    ).not.toHaveProperty("contradiction");
    expect(
      inferVertexRegion({ provider: "vertex_ai", vertex_location: "global", region_name: "eu" })
        .contradiction,
    ).toMatch(/region_name "eu".*global.*no residency/);
    expect(
      inferVertexRegion({
        provider: "vertex_ai",
        vertex_location: "us-central1",
        region_name: "europe-west4",
      }).contradiction,
    ).toMatch(/contradicts/);
  });
});

const KEY = JSON.stringify({
  client_email: "sa@p.iam.gserviceaccount.com",
  private_key: "k",
  project_id: "p",
});
const entry = (name: string, params: string) => `
  - model_name: ${name}
    litellm_params: { ${params}, vertex_credentials: '${KEY}' }`;

describe("vertex deployments in a config", () => {
  it("geography, source and host from the location; gemini/ unassigned on AI Studio's host", () => {
    const c = parseConfigText(
      `model_list:${entry("g", "model: vertex_ai/gemini-2.5-flash, vertex_project: p, vertex_location: europe-west4")}${entry("g", "model: vertex_ai/gemini-2.5-flash, vertex_project: p, vertex_location: eu")}${entry("g", "model: vertex_ai/gemini-2.5-flash, vertex_project: p, vertex_location: global")}
  - model_name: g
    litellm_params: { model: gemini/gemini-2.5-flash, api_key: k }
`,
      "c.yaml",
      {},
    );
    expect(c.deployments.map((d) => [d.provider, d.geography, d.regionSource, d.apiBase])).toEqual([
      ["vertex_ai", "eu", "vertex_location", "https://europe-west4-aiplatform.googleapis.com"],
      ["vertex_ai", "eu", "vertex_location", "https://aiplatform.eu.rep.googleapis.com"],
      ["vertex_ai", undefined, "vertex_location", "https://aiplatform.googleapis.com"],
      ["gemini", undefined, "api_base", "https://generativelanguage.googleapis.com"],
    ]);
    expect(c.deployments.map((d) => d.evidence)).toEqual([
      "vertex_location europe-west4: a regional endpoint, processed in eu",
      "vertex_location eu: the eu multi-region keeps ML processing inside eu",
      "vertex_location global: the global endpoint gives no residency guarantee (processed in any region)",
      expect.stringMatching(/^the Gemini API of Google AI Studio .* offers no data residency/),
    ]);
  });

  it("region_name eu on the global location (or on AI Studio, or us-central1) stops startup with file, line and reason", () => {
    const yaml = `model_list:${entry("g", "model: vertex_ai/gemini-2.5-flash, vertex_location: global, region_name: eu")}\n`;
    expect(() => parseConfigText(yaml, "c.yaml", {})).toThrow(
      /c\.yaml:3 model_list\[0\]\.litellm_params\.region_name: region_name "eu" contradicts the deployment's own settings: vertex_location global: the global endpoint gives no residency guarantee/,
    );
  });

  it("region_name agreeing with the location is kept; one naming another geography is refused", () => {
    const ok = parseConfigText(
      `model_list:${entry("g", "model: vertex_ai/gemini-2.5-flash, vertex_location: europe-west4, region_name: eu")}\n`,
      "c.yaml",
      {},
    );
    expect(ok.deployments[0]).toMatchObject({ geography: "eu", regionSource: "vertex_location" });
    for (const params of [
      "model: vertex_ai/gemini-2.5-flash, vertex_location: us-central1, region_name: eu",
      "model: gemini/gemini-2.5-flash, api_key: k, region_name: eu",
    ])
      expect(() => parseConfigText(`model_list:${entry("g", params)}\n`, "c.yaml", {})).toThrow(
        /region_name: region_name "eu".* contradicts the deployment's own settings/,
      );
  });

  it("an api_base on another Vertex location's host contradicts vertex_location; a proxy host does not", () => {
    const c = (base: string) =>
      `model_list:${entry("g", `model: vertex_ai/gemini-2.5-flash, vertex_location: europe-west4, api_base: "${base}"`)}\n`;
    expect(() => parseConfigText(c("https://us-central1-aiplatform.googleapis.com"), "c.yaml", {})).toThrow(
      /litellm_params\.api_base: api_base .* is Vertex AI's us-central1 endpoint, but vertex_location is europe-west4/,
    );
    expect(() => parseConfigText(c("https://aiplatform.googleapis.com"), "c.yaml", {})).toThrow(
      /global endpoint/,
    );
    expect(
      parseConfigText(c("https://europe-west4-aiplatform.googleapis.com"), "c.yaml", {}).deployments[0],
    ).toMatchObject({
      geography: "eu",
    });
    expect(
      parseConfigText(c("http://vertex-proxy.internal:8080"), "c.yaml", {}).deployments[0],
    ).toMatchObject({
      geography: "eu",
    });
  });

  it("location, project and credentials fall back to LiteLLM's environment variables", () => {
    const dir = mkdtempSync(join(tmpdir(), "meridian-sa-"));
    const file = join(dir, "sa.json");
    writeFileSync(file, KEY);
    try {
      const c = parseConfigText(
        "model_list:\n  - model_name: g\n    litellm_params: { model: vertex_ai/gemini-2.5-flash }\n",
        "c.yaml",
        { VERTEXAI_LOCATION: "europe-west3", VERTEXAI_PROJECT: "proj", GOOGLE_APPLICATION_CREDENTIALS: file },
      );
      expect(c.deployments[0]).toMatchObject({
        geography: "eu",
        vertex: { project: "proj", location: "europe-west3", credentials: file },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a key file that is missing or not a key, or no project anywhere, stops startup naming the key", () => {
    const cfg = (params: string) =>
      `model_list:\n  - model_name: g\n    litellm_params: { model: vertex_ai/gemini-2.5-flash, ${params} }\n`;
    expect(() => parseConfigText(cfg("vertex_credentials: /nonexistent/sa.json"), "c.yaml", {})).toThrow(
      /c\.yaml:3 model_list\[0\]\.litellm_params\.vertex_credentials: cannot read the key file \(ENOENT\)/,
    );
    expect(() =>
      parseConfigText(cfg(`vertex_credentials: '{"private_key": "secret-bits"}'`), "c.yaml", {}),
    ).toThrow(/vertex_credentials: vertex_credentials is not a service-account key/);
    const noProject = JSON.stringify({ client_email: "a@b", private_key: "k" });
    expect(() => parseConfigText(cfg(`vertex_credentials: '${noProject}'`), "c.yaml", {})).toThrow(
      /vertex_project: vertex_ai deployments need vertex_project/,
    );
  });

  it("no credentials anywhere is a startup error; Claude on Vertex is placed by its location like Gemini", () => {
    expect(() =>
      parseConfigText(
        "model_list:\n  - model_name: g\n    litellm_params: { model: vertex_ai/gemini-2.5-flash }\n",
        "c.yaml",
        {},
      ),
    ).toThrow(/vertex_credentials/);
    const c = parseConfigText(
      `model_list:${entry("c", "model: vertex_ai/claude-sonnet-4@20250514, vertex_location: europe-west1")}${entry("g", "model: vertex_ai/gemini-2.5-flash")}\n`,
      "c.yaml",
      {},
    );
    expect(c.deployments.map((d) => [d.modelGroup, d.provider, d.geography])).toEqual([
      ["c", "vertex_ai", "eu"],
      ["g", "vertex_ai", "us"],
    ]);
  });
});
