import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AccessGrant } from "../auth/grant.js";
import { gatewayError } from "../errors.js";
import { modelRefusal } from "../limits/stage.js";
import { type Deployment, describeDeployment } from "../router/deployment.js";
import { principalOf } from "./access-schemas.js";
import type { Gateway } from "./gateway.js";
import { accessGroups, modelGroupInfo, modelInfoV2 } from "./model-group-info.js";

export function registerModelRoutes(app: FastifyInstance, gw: Gateway): void {
  const created = Math.floor(Date.now() / 1000);
  const card = (id: string) => ({ id, object: "model", created, owned_by: "meridian" });
  const list = { object: "list", data: gw.modelNames.map(card) };
  // LiteLLM's e2e tests ask with "True"; Python clients send that spelling.
  const groupsOnly = { object: "list", data: accessGroups(gw.config.deployments).map(card) };
  // A virtual key sees the models its (or its team's) allowlist lets it call, as LiteLLM lists them.
  const listHandler = async (req: FastifyRequest) => {
    if (flag((req.query as Record<string, string | undefined>).only_model_access_groups)) return groupsOnly;
    const grant = principalOf(req)?.grant;
    if (!grant) return list;
    const allowed = (name: string) => modelRefusal(grant, name, gw.router.resolveGroup(name)) === undefined;
    return { object: "list", data: gw.modelNames.filter(allowed).map(card) };
  };
  app.get("/models", listHandler);
  app.get("/v1/models", listHandler);
  const one = async (req: FastifyRequest) =>
    modelOne(gw, (req.params as { model: string }).model, created, principalOf(req)?.grant);
  app.get("/models/:model", one);
  app.get("/v1/models/:model", one);

  // Built once: the config is immutable after startup.
  const info = gw.config.deployments.map(describeDeployment);
  const infoHandler = async (req: FastifyRequest) => {
    const id = (req.query as { litellm_model_id?: string }).litellm_model_id;
    if (id === undefined) return { data: info };
    return { data: [info[indexOfId(gw.config.deployments, id)]] };
  };
  app.get("/model/info", infoHandler);
  app.get("/v1/model/info", infoHandler);

  const v2 = gw.config.deployments.map(modelInfoV2);
  app.get("/v2/model/info", async (req: FastifyRequest) => {
    const q = req.query as { model?: string; litellm_model_id?: string };
    let data = v2;
    if (q.litellm_model_id !== undefined) data = [v2[indexOfId(gw.config.deployments, q.litellm_model_id)]];
    if (q.model !== undefined) {
      const group = gw.router.resolveGroup(q.model) ?? q.model;
      data = data.filter((e) => e.model_name === group);
    }
    return { data, total_count: data.length };
  });

  const groups = modelGroupInfo(gw.config.deployments);
  const groupHandler = async (req: FastifyRequest) => {
    const asked = (req.query as { model_group?: string }).model_group;
    if (asked === undefined) return { data: groups };
    const group = gw.router.resolveGroup(asked) ?? asked;
    const found = groups.filter((g) => g.model_group === group);
    if (found.length === 0) throw gatewayError("model_not_found", { group: asked }, { param: "model_group" });
    return { data: found };
  };
  app.get("/model_group/info", groupHandler);
  app.get("/v1/model_group/info", groupHandler);
}

function indexOfId(deployments: readonly Deployment[], id: string): number {
  const i = deployments.findIndex((d) => d.id === id);
  if (i < 0) throw gatewayError("model_not_found", { modelId: id }, { param: "litellm_model_id" });
  return i;
}

function flag(v: string | undefined): boolean {
  return v !== undefined && /^(true|1|yes)$/i.test(v);
}

function modelOne(gw: Gateway, model: string, created: number, grant: AccessGrant | undefined) {
  const group = gw.router.resolveGroup(model);
  if (group === undefined) {
    throw gatewayError("model_not_found", { model }, { param: "model" });
  }
  const refusal = grant && modelRefusal(grant, model, group);
  if (refusal) throw refusal;
  return { id: model, object: "model", created, owned_by: "meridian" };
}
