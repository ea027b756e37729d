import type { IncomingHttpHeaders } from "node:http";
import { gatewayError } from "../errors.js";
import type { Provider, UpstreamTarget } from "../providers/contract.js";
import { clientAskedUsage } from "../providers/openai-body.js";
import { type LoopSuccess, runAttempts } from "../router/attempt.js";
import type { Deployment } from "../router/deployment.js";
import type { RegionPolicy } from "../router/filters.js";
import { runPinned } from "../router/pinned.js";
import type { Router } from "../router/router.js";
import { binaryReply, isSurfaceOperation } from "../surface/operations.js";
import { type CallContext, callDeployment, type UpstreamReply } from "../upstream/call.js";
import type { UpstreamPools } from "../upstream/client.js";
import { mockReply } from "../upstream/mock.js";
import type { ProxyRequest } from "./types.js";

export interface AttemptDeps {
  router: Router;
  pools: UpstreamPools;
  targets: ReadonlyMap<string, UpstreamTarget>;
  providers: Readonly<Record<string, Provider>>;
}

const RELEASED: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Stage 4: the attempt loop (retries and fallbacks, every candidate through the one region filter),
 * each attempt through the deployment's provider. Returns the running loop, the time spent upstream,
 * and `release()`, which lets go of the prompt once a stream has committed.
 */
export function attempt(
  deps: AttemptDeps,
  req: ProxyRequest,
  body: Record<string, unknown>,
  group: string,
  model: string | undefined,
  policy: RegionPolicy,
): {
  run: Promise<LoopSuccess<UpstreamReply>>;
  upstreamMs: () => number;
  release: () => void;
  stream: boolean;
} {
  // The surface's operations that stream (gpt-image-1 partial images, gpt-4o-transcribe; a multipart
  // field says "true") and answers that are not JSON (speech, text/srt/vtt transcripts) pass through
  // as bytes; the rest as before.
  const surface = isSurfaceOperation(req.op);
  const asked = body.stream === true || (req.form !== undefined && body.stream === "true");
  const binary = req.binary === true || (surface && (binaryReply(req.op, body) || asked));
  const stream = binary || (!surface && req.op !== "embeddings" && asked);
  const chatStyle = !surface;
  const ctx: CallContext = {
    op: req.op,
    body,
    stream,
    wantUsage: chatStyle,
    clientWantsUsage: stream && chatStyle && clientAskedUsage(body),
    signal: req.signal,
    form: req.form,
    binary,
    method: req.method,
    subpath: req.subpath,
    query: req.query,
  };
  let upstreamMs = 0;
  const call = async (d: Deployment) => {
    const t = performance.now();
    const r =
      d.mockResponse !== undefined
        ? mockReply(d, req.op, stream)
        : await callDeployment(d, deps.targets.get(d.id)!, deps.providers[d.provider], deps.pools, ctx);
    upstreamMs += performance.now() - t;
    return r;
  };
  // A follow-up on a file or batch: only the deployment holding it (the loop the Responses API's
  // follow-ups use: retries there, no fallback). pinnedRefusal already checked it exists and is allowed.
  const held = req.pinned ? pinnedDeployment(deps.router, req.pinned.deploymentId) : undefined;
  // Fail closed: a pinned request never falls through to the open loop.
  if (req.pinned && !held) throw gatewayError("internal_error", { reason: "invariant" });
  const run = held
    ? runPinned(deps.router, {
        deployment: model === undefined ? held : deps.router.bind(held, model),
        policy,
        signal: req.signal,
        call,
        holdUntilRelease: stream,
      })
    : runAttempts(deps.router, {
        group,
        model,
        policy,
        signal: req.signal,
        estimatedTokens: estimateTokens(req.headers),
        holdUntilRelease: stream,
        call,
      });
  return {
    run,
    upstreamMs: () => upstreamMs,
    release: () => {
      (ctx as { body: Readonly<Record<string, unknown>> }).body = RELEASED;
    },
    stream,
  };
}

function pinnedDeployment(router: Router, id: string): Deployment | undefined {
  for (const list of router.groups.values()) for (const d of list) if (d.id === id) return d;
  return undefined;
}

/** Rough token estimate for usage-based routing: ~4 bytes per token of the request body. */
function estimateTokens(headers: IncomingHttpHeaders): number {
  const len = Number(headers["content-length"] ?? 0);
  return Number.isFinite(len) ? Math.ceil(len / 4) : 0;
}
