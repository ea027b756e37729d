import { readServiceAccount } from "./auth.js";

/**
 * What a `vertex_ai/` deployment needs before it can serve, checked at startup: the key is read (a
 * file that is missing or not a service-account key stops startup, naming the key, never its content)
 * and a project must be known. Nothing is contacted.
 */
export type VertexConfigVerdict =
  | { readonly ok: true }
  /** Not the operator's mistake but our limit: the deployment is skipped with a notice. */
  | { readonly ok: false; readonly skip: true; readonly key: string; readonly message: string }
  /** A configuration error: startup stops. */
  | { readonly ok: false; readonly skip: false; readonly key: string; readonly message: string };

export function checkVertexDeployment(p: {
  readonly upstreamModel: string;
  readonly vertex_credentials?: string;
  readonly vertex_project?: string;
  readonly mock_response?: unknown;
}): VertexConfigVerdict {
  if (p.mock_response !== undefined) return { ok: true };
  if (!p.vertex_credentials)
    return {
      ok: false,
      skip: false,
      key: "vertex_credentials",
      message:
        "vertex_ai deployments need vertex_credentials (a service-account key file path or its JSON), here or in VERTEXAI_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS",
    };
  let projectId: string | undefined;
  try {
    projectId = readServiceAccount(p.vertex_credentials).project_id;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = typeof code === "string" ? `cannot read the key file (${code})` : (err as Error).message;
    return { ok: false, skip: false, key: "vertex_credentials", message: why };
  }
  if (!p.vertex_project && !projectId)
    return {
      ok: false,
      skip: false,
      key: "vertex_project",
      message:
        "vertex_ai deployments need vertex_project (or VERTEXAI_PROJECT) when the key names no project_id",
    };
  return { ok: true };
}
