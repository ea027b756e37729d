import { type GatewayError, gatewayError } from "../errors.js";
import type { Operation } from "../router/deployment.js";
import { bodyKindOf } from "../surface/operations.js";

export function isMultipart(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*multipart\/form-data\b/i.test(contentType);
}

/**
 * The 415 for a body of the wrong kind, said plainly: a form posted to a JSON route would otherwise
 * reach the JSON parser and come back as "not valid JSON: No number after minus sign" (the boundary
 * line starts with `--`). A JSON route takes any other content type as JSON, as before (curl's
 * default form encoding among them); a multipart-only route takes only multipart/form-data.
 */
export function mediaRefusal(
  op: Operation,
  path: string,
  contentType: string | undefined,
): GatewayError | undefined {
  const kind = bodyKindOf(op);
  const got = (contentType ?? "").split(";")[0].trim() || "(none)";
  if (kind === "json" && /^\s*multipart\//i.test(contentType ?? ""))
    return gatewayError("unsupported_media_type", {
      reason: "route",
      path,
      expected: "JSON (application/json)",
      got,
    });
  if (kind === "multipart" && !isMultipart(contentType))
    return gatewayError("unsupported_media_type", {
      reason: "route",
      path,
      expected: "multipart/form-data",
      got,
    });
  return undefined;
}
