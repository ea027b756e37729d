import { z } from "zod";
import type { Operation } from "../router/deployment.js";

/**
 * The request bodies of the proxy routes as far as Meridian checks them (http/validate.ts): the
 * OpenAPI document is built from these, and a property test (proxy-schemas.test.ts) holds them to
 * the validator's verdict on random bodies, so the document cannot drift from what is enforced.
 * Everything else in a body is passed to the upstream, which validates the rest: objects are loose.
 */
const flag = z.boolean().nullable().optional();
const user = z.string().nullable().optional();
const textOrList = z.union([z.string(), z.array(z.unknown())]);

const BODIES = {
  chat: {
    messages: z
      .array(z.looseObject({ role: z.string() }))
      .min(1)
      .describe("The conversation; each message needs a string role."),
  },
  completions: { prompt: textOrList },
  embeddings: { input: textOrList },
} satisfies Partial<Record<Operation, Record<string, z.ZodType>>>;

export type DocumentedOperation = keyof typeof BODIES;

export function documentedOperations(): DocumentedOperation[] {
  return Object.keys(BODIES) as DocumentedOperation[];
}

/** The body schema of `op`; `pathModel`: the model is named in the path (Azure style), not the body. */
export function proxyBodySchema(op: Operation, pathModel: boolean): z.ZodType | undefined {
  const fields = (BODIES as Partial<Record<Operation, Record<string, z.ZodType>>>)[op];
  if (!fields) return undefined;
  const model = pathModel ? z.unknown().optional() : z.string().min(1).describe("Model group or alias");
  return z.looseObject({ model, ...fields, stream: flag, user });
}
