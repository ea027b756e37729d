import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { get, type Harness, post, startHarness } from "../../test/harness.js";

/**
 * A stored response, file or batch belongs to the team of the virtual key that created it (or to
 * that key alone, or to the master key): another tenant holding its id gets the same 404 as for an
 * unknown id, and nothing reaches the deployment. Keys of the same team, and the master key, may
 * use it.
 */
const YAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu }
  - model_name: chat-only
    litellm_params: { model: openai/llama-3, api_base: "{{eu}}/v1", use_chat_completions_api: true, region_name: eu }
  - model_name: gpt-4o-batch
    litellm_params: { model: openai/gpt-4o, api_base: "{{eu}}/v1", region_name: eu }
    model_info: { mode: batch }
  - model_name: gpt-4o-pages
    litellm_params: { model: openai/gpt-4o, api_base: "{{pages}}/v1", region_name: eu }
    model_info: { mode: batch }
router_settings: { num_retries: 0, disable_cooldowns: true }
general_settings:
  master_key: sk-1234
`;

describe("stored objects are bound to the key or team that created them", () => {
  let h: Harness;
  const auth: Record<string, Record<string, string>> = {};
  const hits = () => h.upstreams.eu.hits;

  beforeAll(async () => {
    h = await startHarness({ yaml: YAML, upstreams: ["eu", "pages"] });
    for (const team_id of ["t1", "t2"])
      expect((await post(`${h.url}/team/new`, { team_id }, h.auth)).status).toBe(200);
    const keys: Record<string, Record<string, unknown>> = {
      a1: { team_id: "t1" },
      a2: { team_id: "t1" },
      b: { team_id: "t2" },
      solo: {},
    };
    for (const [name, body] of Object.entries(keys)) {
      const r = await post(`${h.url}/key/generate`, body, h.auth);
      expect(r.status).toBe(200);
      auth[name] = { authorization: `Bearer ${r.json.key}` };
    }
    auth.master = h.auth;
  });
  afterAll(async () => h.close());
  beforeEach(() => h.upstreams.eu.reset());

  const create = async (who: string, model = "gpt-4o") => {
    const r = await post(`${h.url}/v1/responses`, { model, input: "hi" }, auth[who]);
    expect(r.status).toBe(200);
    return r.json.id as string;
  };
  const retrieve = (who: string, id: string) => get(`${h.url}/v1/responses/${id}`, auth[who]);

  it("another team's key, or a key without a team, cannot retrieve, continue or delete a response: 404, zero upstream calls", async () => {
    for (const model of ["gpt-4o", "chat-only"]) {
      const id = await create("a1", model);
      h.upstreams.eu.reset();
      for (const who of ["b", "solo"]) {
        const got = await retrieve(who, id);
        expect(got.status).toBe(404);
        expect(got.json.error.code).toBe("response_not_found");
        const next = await post(
          `${h.url}/v1/responses`,
          { model, input: "more", previous_response_id: id },
          auth[who],
        );
        expect(next.status).toBe(404);
        expect(next.json.error.code).toBe("response_not_found");
        const del = await fetch(`${h.url}/v1/responses/${id}`, { method: "DELETE", headers: auth[who] });
        expect(del.status).toBe(404);
      }
      expect(hits()).toBe(0);
      // the same team's other key, and the master key, may
      expect((await retrieve("a2", id)).status).toBe(200);
      expect((await retrieve("master", id)).status).toBe(200);
      const next = await post(
        `${h.url}/v1/responses`,
        { model, input: "more", previous_response_id: id },
        auth.a2,
      );
      expect(next.status).toBe(200);
    }
  });

  it("a key without a team owns its responses alone; the master key's are not open to virtual keys", async () => {
    const solo = await create("solo");
    const master = await create("master");
    h.upstreams.eu.reset();
    expect((await retrieve("a1", solo)).status).toBe(404);
    expect((await retrieve("a1", master)).status).toBe(404);
    expect(hits()).toBe(0);
    expect((await retrieve("solo", solo)).status).toBe(200);
    expect((await retrieve("master", master)).status).toBe(200);
  });

  it("files and batches: another team's key gets 404 object_not_found for the file and for a batch over it", async () => {
    const form = new FormData();
    form.set("purpose", "batch");
    form.set("file", new Blob(['{"custom_id":"1"}\n']), "in.jsonl");
    const up = await fetch(`${h.url}/v1/files`, { method: "POST", headers: auth.a1, body: form });
    expect(up.status).toBe(200);
    const fileId = ((await up.json()) as { id: string }).id;
    h.upstreams.eu.reset();
    const other = await get(`${h.url}/v1/files/${fileId}`, auth.b);
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe("object_not_found");
    const batch = await post(
      `${h.url}/v1/batches`,
      { input_file_id: fileId, endpoint: "/v1/chat/completions", completion_window: "24h" },
      auth.b,
    );
    expect(batch.status).toBe(404);
    expect(batch.json.error.param).toBe("input_file_id");
    expect(hits()).toBe(0);
    expect((await get(`${h.url}/v1/files/${fileId}`, auth.a2)).status).toBe(200);
    const own = await post(
      `${h.url}/v1/batches`,
      { input_file_id: fileId, endpoint: "/v1/chat/completions", completion_window: "24h" },
      auth.a1,
    );
    expect(own.status).toBe(200);
    const batchId = own.json.id as string;
    expect((await get(`${h.url}/v1/batches/${batchId}`, auth.b)).status).toBe(404);
    expect((await get(`${h.url}/v1/batches/${batchId}`, auth.a2)).status).toBe(200);
  });

  it("a list of files or batches shows a virtual key only what it (or its team) may use; the master key sees all", async () => {
    const upload = async (who: string, name: string) => {
      const form = new FormData();
      form.set("purpose", "batch");
      form.set("file", new Blob(['{"custom_id":"1"}\n']), name);
      const r = await fetch(`${h.url}/v1/files?model=gpt-4o-batch`, {
        method: "POST",
        headers: auth[who],
        body: form,
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { id: string }).id;
    };
    const mine = await upload("a1", "team-one.jsonl");
    const theirs = await upload("b", "team-two-secret-name.jsonl");
    const list = async (who: string, what = "files") => {
      const r = await get(`${h.url}/v1/${what}?model=gpt-4o-batch`, auth[who]);
      expect(r.status).toBe(200);
      expect(r.json.object).toBe("list");
      return r;
    };
    const ids = (r: Awaited<ReturnType<typeof list>>) => (r.json.data as { id: string }[]).map((f) => f.id);
    expect(ids(await list("a2"))).toContain(mine);
    const seenByA = await list("a1");
    expect(ids(seenByA)).toContain(mine);
    expect(ids(seenByA)).not.toContain(theirs);
    expect(seenByA.text).not.toContain("team-two-secret-name");
    expect(ids(await list("b"))).toEqual([theirs]);
    expect(ids(await list("solo"))).toEqual([]);
    expect(ids(await list("master"))).toEqual(expect.arrayContaining([mine, theirs]));

    const batch = await post(
      `${h.url}/v1/batches`,
      { input_file_id: theirs, endpoint: "/v1/chat/completions", completion_window: "24h" },
      auth.b,
    );
    expect(batch.status).toBe(200);
    expect(ids(await list("a1", "batches"))).not.toContain(batch.json.id);
    expect(ids(await list("b", "batches"))).toContain(batch.json.id);
  });

  it("a key without a team keeps its objects across /key/regenerate; a new key made with its old value gets none", async () => {
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const [v1, v2] = ["sk-regen-solo-key-0001", "sk-regen-solo-key-0002"];
    expect((await post(`${h.url}/key/generate`, { key: v1 }, h.auth)).status).toBe(200);
    const made = await post(`${h.url}/v1/responses`, { model: "gpt-4o", input: "hi" }, bearer(v1));
    expect(made.status).toBe(200);
    const regen = await post(`${h.url}/key/regenerate`, { key: v1, new_key: v2 }, h.auth);
    expect(regen.status).toBe(200);
    expect((await get(`${h.url}/v1/responses/${made.json.id}`, bearer(v2))).status).toBe(200);
    expect((await get(`${h.url}/v1/responses/${made.json.id}`, bearer(v1))).status).toBe(401);
    // the old value is free again; a key made with it is another key
    expect((await post(`${h.url}/key/generate`, { key: v1 }, h.auth)).status).toBe(200);
    h.upstreams.eu.reset();
    expect((await get(`${h.url}/v1/responses/${made.json.id}`, bearer(v1))).status).toBe(404);
    expect(h.upstreams.eu.hits).toBe(0);
  });

  it("a page of other tenants' files is filled from the next pages: the SDK's paging reaches a key's own files", async () => {
    h.upstreams.pages.reset();
    const upload = async (who: string) => {
      const form = new FormData();
      form.set("purpose", "batch");
      form.set("file", new Blob(['{"custom_id":"1"}\n']), `${who}.jsonl`);
      const r = await fetch(`${h.url}/v1/files?model=gpt-4o-pages`, {
        method: "POST",
        headers: auth[who],
        body: form,
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { id: string }).id;
    };
    const mine = [await upload("solo"), await upload("solo")];
    // newer than mine: the upstream's first pages (newest first) hold only team two's files
    const theirs: string[] = [];
    for (let i = 0; i < 5; i++) theirs.push(await upload("b"));
    const page = async (who: string, qs: string) => {
      h.upstreams.pages.reset();
      const r = await get(`${h.url}/v1/files?model=gpt-4o-pages&${qs}`, auth[who]);
      expect(r.status).toBe(200);
      const lists = h.upstreams.pages.requests.filter(
        (x) => x.method === "GET" && /\/files(\?|$)/.test(x.url),
      );
      return { json: r.json, upstreamPages: lists.length };
    };
    // limit 2: the upstream's page [b5 b4], then the rest read 100 at a time -> mine2 and mine1
    const first = await page("solo", "limit=2");
    expect(first.json.data.map((f: { id: string }) => f.id)).toEqual([mine[1], mine[0]]);
    expect(first.json).toMatchObject({ has_more: false, first_id: mine[1], last_id: mine[0] });
    expect(first.upstreamPages).toBe(2);
    // limit 1: it stops once one is found; has_more says the client may ask after it
    const one = await page("solo", "limit=1");
    expect(one.json).toMatchObject({ data: [{ id: mine[1] }], has_more: true });
    const rest = await page("solo", `limit=1&after=${mine[1]}`);
    expect(rest.json).toMatchObject({ data: [{ id: mine[0] }], has_more: false });
    // the master key gets the upstream's page as it is
    const master = await page("master", "limit=2");
    expect(master.json).toMatchObject({ data: [{ id: theirs[4] }, { id: theirs[3] }], has_more: true });
    expect(master.upstreamPages).toBe(1);
  });
});
