import { errorMessage } from "../../errors.js";
import type { Deployment } from "../../router/deployment.js";
import { AttemptRefused } from "../contract.js";

/** The client asked for something Bedrock's wire format cannot carry: 400, nothing sent, no retry. */
export function refuse(d: Deployment, what: string, param: string | null = null): AttemptRefused {
  return new AttemptRefused({
    kind: "bad_request",
    status: 400,
    message: errorMessage("bedrock_input_unsupported", { group: d.modelGroup, what }),
    type: "invalid_request_error",
    code: "bedrock_input_unsupported",
    param,
    retryAfterMs: undefined,
    passHeaders: undefined,
    local: true,
  });
}
