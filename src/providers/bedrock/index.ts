import type { SignatureV4 } from "@smithy/signature-v4";
import type { Deployment } from "../../router/deployment.js";
import type { Provider, UpstreamTarget } from "../contract.js";
import { splitBase } from "../openai-body.js";
import { embeddingRequest, embeddingResponse } from "./embeddings.js";
import { mapBedrockError } from "./errors.js";
import { refuse } from "./refuse.js";
import { bedrockRegion, modelIdOf } from "./region.js";
import { converseRequest, jsonModeSchema } from "./request.js";
import { chatCompletion } from "./response.js";
import { signedHeaders, signer } from "./sign.js";
import { ConverseTranslator } from "./stream.js";

/**
 * `bedrock/<model>`: chat over Converse / ConverseStream, embeddings over InvokeModel, each request
 * signed with SigV4 (service `bedrock`). The model id may be a foundation model, an inference
 * profile (`eu.anthropic.…`) or an ARN; it travels URL-encoded in the path.
 */

/** Signers per deployment: derived signing keys are cached inside, once per day and region. */
const signers = new WeakMap<Deployment, SignatureV4>();

function signerFor(d: Deployment): SignatureV4 {
  let s = signers.get(d);
  if (!s) {
    if (!d.aws) throw new Error(`deployment ${d.id} has no AWS settings`);
    s = signer(d.aws);
    signers.set(d, s);
  }
  return s;
}

/** Targets of wildcard deployments (`bedrock/*`): the model id, and so the residency, is the client's. */
const wildcards = new WeakSet<UpstreamTarget>();

function modelPath(basePath: string, model: string): string {
  return `${basePath}/model/${encodeURIComponent(modelIdOf(model))}`;
}

/**
 * A wildcard deployment's geography was judged from its pattern at startup; the client's model may be
 * a profile that processes elsewhere (`global.…`, `us.…`). Such a model is refused, never sent.
 */
function checkWildcardModel(d: Deployment): void {
  if (d.geography === undefined) return; // unassigned: serves no pinned customer anyway
  const facts = bedrockRegion({
    provider: "bedrock",
    upstreamModel: d.upstreamModel,
    apiBase: d.apiBase,
    params: { aws_region_name: d.aws?.region },
    modelInfo: {},
  });
  if (facts.geography !== d.geography)
    throw refuse(d, `model ${d.upstreamModel} outside ${d.geography} (${facts.evidence})`, "model");
}

function describe(d: Deployment): string {
  return `deployment ${d.id} (${d.modelGroup}${d.geography ? `, ${d.geography}` : ""})`;
}

export const bedrockProvider: Provider = {
  contract: 2,
  passthrough: false,
  framing: "eventstream",
  operations: new Set(["chat", "embeddings"]),
  target(d) {
    const { origin, basePath } = splitBase(d.apiBase);
    const model = modelPath(basePath, d.upstreamModel);
    const t = {
      origin,
      paths: { chat: `${model}/converse`, embeddings: `${model}/invoke` },
      headers: { "content-type": "application/json", accept: "application/json", ...d.extraHeaders },
    };
    if (d.upstreamModel.includes("*")) wildcards.add(t);
    return t;
  },
  async prepare(d, t, a) {
    let path = t.paths[a.op] as string;
    if (wildcards.has(t)) {
      checkWildcardModel(d);
      const model = modelPath(splitBase(d.apiBase).basePath, d.upstreamModel);
      path = a.op === "embeddings" ? `${model}/invoke` : `${model}/converse`;
    }
    let body: string;
    if (a.op === "embeddings") body = JSON.stringify(embeddingRequest(d, a.body));
    else {
      body = JSON.stringify(converseRequest(d, a.body));
      if (a.stream) path = `${path}-stream`;
    }
    const headers = a.stream
      ? { ...t.headers, accept: "application/vnd.amazon.eventstream" }
      : (t.headers as Record<string, string>);
    const signed = await signedHeaders(signerFor(d), {
      method: "POST",
      origin: t.origin,
      path,
      headers,
      body,
    });
    return { path, headers: signed, body };
  },
  decode(d, a, raw) {
    const out =
      a.op === "embeddings"
        ? embeddingResponse(d, a.body, raw)
        : chatCompletion(raw, d.upstreamModel, jsonModeSchema(a.body) !== undefined);
    return { body: Buffer.from(JSON.stringify(out.body)), usage: out.usage };
  },
  stream(d, a) {
    return new ConverseTranslator(d, describe(d), jsonModeSchema(a.body) !== undefined);
  },
  mapError: mapBedrockError,
};
