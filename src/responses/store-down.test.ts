import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";
import { responsesYaml } from "../../test/responses-config.js";

/**
 * The store cannot answer: a follow-up whose holder is not known in front of it is refused (503
 * affinity_unavailable) and sent nowhere — never to "some" deployment of the group.
 */
const YAML = responsesYaml();

describe("Responses follow-ups with the store down", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML });
  });
  afterAll(async () => h.close());

  it("refuses what it cannot place with 503 and zero upstream calls; what it knows still routes", async () => {
    const known = await post(`${h.url}/v1/responses`, { model: "gpt-4o", input: "hi" }, h.auth);
    const translated = await post(`${h.url}/v1/responses`, { model: "chat-only", input: "hi" }, h.auth);
    expect(known.status).toBe(200);
    expect(translated.status).toBe(200);
    await h.store.close();
    h.upstreams.eu.reset();
    h.upstreams.us.reset();

    const unknown = await get(`${h.url}/v1/responses/resp_elsewhere`, h.auth);
    expect(unknown.status).toBe(503);
    expect(unknown.json.error.code).toBe("affinity_unavailable");
    // a translated response's state lives only in the store: refused, not answered from nothing
    const cont = await post(
      `${h.url}/v1/responses`,
      { model: "chat-only", input: "more", previous_response_id: translated.json.id },
      h.auth,
    );
    expect(cont.status).toBe(503);
    expect(h.upstreams.eu.hits + h.upstreams.us.hits).toBe(0);

    // the id this instance remembered itself still goes to its deployment
    const again = await get(`${h.url}/v1/responses/${known.json.id}`, h.auth);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-litellm-model-id")).toBe(known.headers.get("x-litellm-model-id"));
  });
});
