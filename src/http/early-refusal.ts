import type { ServerResponse } from "node:http";
import type { GatewayError } from "../errors.js";
import { newCallId } from "../ids/call-id.js";
import { type Accounting, accountFailure } from "../pipeline/account.js";
import { OPEN, type Principal } from "../pipeline/types.js";
import { UNRESTRICTED } from "../router/filters.js";
import { writeFailure } from "./failure.js";

/** What is known of a proxy request refused before the pipeline took it. */
export interface EarlyRequest {
  op: string;
  /** Unknown when the refusal is the key itself (missing, wrong, blocked) or the gateway stopping. */
  principal: Principal | undefined;
  /** performance.now() when the request arrived. */
  started: number;
}

/**
 * Answer a refusal the adapter makes before the pipeline (no or wrong key, wrong method or media
 * type, body too large, unreadable JSON): it carries a call id, and it leaves a log line, metrics
 * and a spend-log record like every refusal the pipeline makes (issue 15: one record per request).
 */
export function refuseEarly(acc: Accounting, res: ServerResponse, e: GatewayError, r: EarlyRequest): void {
  const callId = e.headers?.["x-litellm-call-id"] ?? newCallId();
  writeFailure(res, e, { "x-litellm-call-id": callId });
  accountEarly(acc, callId, e, r);
}

/** The log line, metrics and spend-log record of a refusal answered under `callId`. */
export function accountEarly(acc: Accounting, callId: string, e: GatewayError, r: EarlyRequest): void {
  accountFailure(
    acc,
    {
      callId,
      op: r.op,
      principal: r.principal ?? OPEN,
      started: r.started,
      body: undefined,
      pathModel: undefined,
    },
    undefined,
    undefined,
    UNRESTRICTED,
    e,
    [],
  );
}
