import { errorMessage } from "../../errors.js";
import { AttemptRefused } from "../contract.js";

/** The client asked for what Google's wire format cannot carry: 400, never retried, never the deployment's fault. */
export function untranslatable(provider: string, why: string, param: string | null = null): AttemptRefused {
  return new AttemptRefused({
    kind: "bad_request",
    status: 400,
    message: errorMessage("untranslatable_request", { provider, why }),
    type: "invalid_request_error",
    code: "untranslatable_request",
    param,
    retryAfterMs: undefined,
    passHeaders: undefined,
    local: true,
  });
}
