import { gatewayError } from "../errors.js";
import { validateBody } from "../http/validate.js";
import type { SpooledForm } from "../multipart/spool.js";
import type { Operation, SurfaceOperation } from "../router/deployment.js";
import type { Router } from "../router/router.js";
import { modesFor, unservedModes } from "../surface/modes.js";
import { isSurfaceOperation } from "../surface/operations.js";
import { missingFile } from "../surface/validate.js";

/**
 * Stage 1: the body is something we can route, its model names a group we serve, and the group's
 * declared modes (model_info.mode) include this operation.
 */
export function resolveModel(
  router: Router,
  modelNames: readonly string[],
  op: Operation,
  rawBody: unknown,
  pathModel: string | undefined,
  form?: SpooledForm,
): { body: Record<string, unknown>; model: string; group: string } {
  const body = validateBody(op, rawBody, pathModel);
  if (isSurfaceOperation(op)) {
    const noFile = missingFile(op as SurfaceOperation, form);
    if (noFile) throw noFile;
  }
  const model = pathModel ?? (body.model as string | undefined) ?? defaultGroup(router, op);
  if (model === undefined)
    throw gatewayError("invalid_request", { reason: "missing", param: "model" }, { param: "model" });
  const group = router.resolveGroup(model);
  if (group === undefined) {
    throw gatewayError("invalid_model", { model, available: modelNames }, { param: "model" });
  }
  const modes = unservedModes(router.groups.get(group) ?? [], op);
  if (modes) {
    throw gatewayError("mode_not_supported", { group, op, modes, wanted: modesFor(op) }, { param: "model" });
  }
  return { body, model, group };
}

/**
 * OpenAI's moderations take no model (it picks its own): the first group whose model_info.mode is
 * `moderation`, as configured. Undefined when none is.
 */
function defaultGroup(router: Router, op: Operation): string | undefined {
  if (op !== "moderations") return undefined;
  for (const [name, ds] of router.groups) if (ds.some((d) => d.mode === "moderation")) return name;
  return undefined;
}
