import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, SEED_ENV, SEED_YAML, startHarness } from "../../test/harness.js";
import { openApiPath } from "./document.js";

describe("/openapi.json and /docs", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV });
  });
  afterAll(async () => h.close());

  it("is a valid OpenAPI 3.1 document (checked by swagger-parser), served without a key", async () => {
    const r = await get(`${h.url}/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe("3.1.0");
    await expect(SwaggerParser.validate(structuredClone(r.json))).resolves.toBeDefined();
  });

  it("lists every route of the route table (/routes) with its methods", async () => {
    const doc = (await get(`${h.url}/openapi.json`)).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const table = (await get(`${h.url}/routes`)).json as { routes: { path: string; methods: string[] }[] };
    expect(table.routes.length).toBeGreaterThan(20);
    for (const r of table.routes) {
      if (r.path.includes("*")) continue;
      const item = doc.paths[openApiPath(r.path)];
      expect(item, r.path).toBeDefined();
      for (const m of r.methods) {
        if (m === "HEAD" || m === "OPTIONS") continue;
        expect(item?.[m.toLowerCase()], `${m} ${r.path}`).toBeDefined();
      }
    }
  });

  it("documents request bodies from the validating schemas", async () => {
    const doc = (await get(`${h.url}/openapi.json`)).json;
    const chat = doc.paths["/v1/chat/completions"].post.requestBody.content["application/json"].schema;
    expect(chat.required).toEqual(expect.arrayContaining(["model", "messages"]));
    expect(chat.properties.messages).toMatchObject({ type: "array", minItems: 1 });
    const azure = doc.paths["/openai/deployments/{model}/chat/completions"].post;
    expect(azure.parameters[0]).toMatchObject({ name: "model", in: "path" });
    expect(azure.requestBody.content["application/json"].schema.required).not.toContain("model");
    const newCustomer = doc.paths["/end_user/new"].post.requestBody.content["application/json"].schema;
    expect(newCustomer.required).toEqual(["user_id"]);
    expect(newCustomer.properties.allowed_model_region).toBeDefined();
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain(
      "no_deployment_in_region",
    );
  });

  it("/docs renders Swagger UI from local files (no CDN)", async () => {
    const page = await get(`${h.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    for (const src of page.text.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(src[1]?.startsWith("/")).toBe(true);
      const asset = await fetch(`${h.url}${src[1]}`);
      expect(asset.status, src[1]).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    expect((await fetch(`${h.url}/docs/assets/package.json`)).status).toBe(404);
  });
});
