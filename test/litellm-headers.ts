/** The x-litellm-* headers every proxied response carries, streaming or not (LiteLLM's names). */
export const LITELLM_HEADERS = [
  "x-litellm-model-api-base",
  "x-litellm-api-base",
  "x-litellm-model-region",
  "x-litellm-model-id",
  "x-litellm-model-group",
  "x-litellm-call-id",
  "x-litellm-version",
  "x-litellm-response-duration-ms",
  "x-litellm-overhead-duration-ms",
] as const;

/**
 * What is wrong with a response's headers for the deployment that should have served it; empty
 * when all is well. Returned as a list (not asserted here) so a failing test shows every problem at once.
 */
export function litellmHeaderProblems(
  h: Headers,
  want: { group: string; apiBase: string; region: string },
): string[] {
  const out: string[] = [];
  for (const name of LITELLM_HEADERS) if (!h.get(name)) out.push(`${name} missing`);
  const eq = (name: string, v: string) => {
    if (h.get(name) !== v) out.push(`${name}: ${h.get(name)} != ${v}`);
  };
  eq("x-litellm-model-api-base", want.apiBase);
  eq("x-litellm-api-base", want.apiBase);
  eq("x-litellm-model-region", want.region);
  eq("x-litellm-model-group", want.group);
  if (!/^[0-9a-f-]{36}$/.test(h.get("x-litellm-call-id") ?? "")) out.push("x-litellm-call-id not a uuid");
  for (const name of ["x-litellm-response-duration-ms", "x-litellm-overhead-duration-ms"]) {
    const n = Number(h.get(name));
    if (!Number.isFinite(n) || n < 0) out.push(`${name}: ${h.get(name)} is not a duration`);
  }
  return out;
}
