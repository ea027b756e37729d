import { gatewayError } from "../errors.js";
import { validateBody } from "../http/validate.js";
import type { Operation } from "../router/deployment.js";
import type { Router } from "../router/router.js";

/** Stage 1: the body is something we can route, and its model names a group we serve. */
export function resolveModel(
  router: Router,
  modelNames: readonly string[],
  op: Operation,
  rawBody: unknown,
  pathModel: string | undefined,
): { body: Record<string, unknown>; model: string; group: string } {
  const body = validateBody(op, rawBody, pathModel);
  const model = pathModel ?? (body.model as string);
  const group = router.resolveGroup(model);
  if (group === undefined) {
    throw gatewayError("invalid_model", { model, available: modelNames }, { param: "model" });
  }
  return { body, model, group };
}
