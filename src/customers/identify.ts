import type { IncomingHttpHeaders } from "node:http";

export type EndUserSource =
  | "x-litellm-customer-id"
  | "x-litellm-end-user-id"
  | "user"
  | "litellm_metadata.user"
  | "metadata.user_id"
  | "safety_identifier";

/**
 * Who the request is for, LiteLLM's precedence (first found wins): the two headers, then body
 * `user`, `litellm_metadata.user`, `metadata.user_id`, `safety_identifier`. Blank values do not count.
 */
export function identifyEndUser(
  headers: IncomingHttpHeaders,
  body: Readonly<Record<string, unknown>>,
): { id: string; source: EndUserSource } | undefined {
  const h1 = str(headers["x-litellm-customer-id"]);
  if (h1) return { id: h1, source: "x-litellm-customer-id" };
  const h2 = str(headers["x-litellm-end-user-id"]);
  if (h2) return { id: h2, source: "x-litellm-end-user-id" };
  const user = str(body.user);
  if (user) return { id: user, source: "user" };
  const lm = obj(body.litellm_metadata);
  const lmUser = lm && str(lm.user);
  if (lmUser) return { id: lmUser, source: "litellm_metadata.user" };
  const md = obj(body.metadata);
  const mdUser = md && str(md.user_id);
  if (mdUser) return { id: mdUser, source: "metadata.user_id" };
  const safety = str(body.safety_identifier);
  if (safety) return { id: safety, source: "safety_identifier" };
  return undefined;
}

function str(v: unknown): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== "string") return undefined;
  const t = s.trim();
  return t === "" ? undefined : t;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
