import type { AttemptFailure } from "../upstream/errors.js";

/**
 * Thrown by a provider's `prepare` when the request cannot be said in its wire format (the client's
 * fault, not the gateway's): the attempt fails with `failure`, a 400 that is never retried and never
 * counts against the deployment. Nothing was sent.
 */
export class RequestRefused extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.message);
  }
}
