import type { FastifyInstance } from "fastify";
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
  app.get("/models/:model", async (req, reply) =>
    modelOne(gw, (req.params as { model: string }).model, created, reply),
  );
  app.get("/v1/models/:model", async (req, reply) =>
    modelOne(gw, (req.params as { model: string }).model, created, reply),
  );

  const info = { data: gw.config.deployments.map(describeDeployment) };
  app.get("/model/info", async () => info);
  app.get("/v1/model/info", async () => info);
}

async function modelOne(gw: Gateway, model: string, created: number, reply: import("fastify").FastifyReply) {
  if (gw.router.resolveGroup(model) === undefined) {
    reply.code(404);
    return {
      error: {
        message: `The model '${model}' does not exist`,
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    };
  }
  return { id: model, object: "model", created, owned_by: "meridian" };
}
