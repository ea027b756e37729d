import type { FastifyInstance, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.js";
import { describeDeployment } from "../router/deployment.js";
import type { Gateway } from "./gateway.js";

export function registerModelRoutes(app: FastifyInstance, gw: Gateway): void {
  const created = Math.floor(Date.now() / 1000);
  const list = {
    object: "list",
    data: gw.modelNames.map((id) => ({ id, object: "model", created, owned_by: "meridian" })),
  };
  const listHandler = async () => list;
  app.get("/models", listHandler);
  app.get("/v1/models", listHandler);
  const one = async (req: FastifyRequest) => modelOne(gw, (req.params as { model: string }).model, created);
  app.get("/models/:model", one);
  app.get("/v1/models/:model", one);

  const info = { data: gw.config.deployments.map(describeDeployment) };
  app.get("/model/info", async () => info);
  app.get("/v1/model/info", async () => info);
}

function modelOne(gw: Gateway, model: string, created: number) {
  if (gw.router.resolveGroup(model) === undefined) {
    throw new GatewayError("model_not_found", `The model '${model}' does not exist`, { param: "model" });
  }
  return { id: model, object: "model", created, owned_by: "meridian" };
}
