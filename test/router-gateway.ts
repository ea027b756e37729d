import type { RouterState } from "../src/router/state.js";
import { type Harness, pinCustomers, post, startHarness } from "./harness.js";

/** A gateway with fake upstreams and two pinned customers: `cust-eu` (eu) and `cust-us` (us). */
export async function pinnedHarness(
  yaml: string,
  upstreams = ["eu", "eu2", "us"],
  routerState?: RouterState,
): Promise<Harness> {
  const h = await startHarness({ yaml, upstreams, routerState });
  await pinCustomers(h, { "cust-eu": "eu", "cust-us": "us" });
  return h;
}

/** One deployment entry of a test config, on a fake upstream label. */
export function deployment(
  group: string,
  id: string,
  upstream: string,
  region: string,
  params: Record<string, string | number> = {},
): string {
  const extra = Object.entries(params)
    .map(([k, v]) => `\n      ${k}: ${typeof v === "string" ? JSON.stringify(v) : v}`)
    .join("");
  return `
  - model_name: ${JSON.stringify(group)}
    litellm_params:
      model: openai/${group.replace(/[^a-z0-9-]/gi, "")}-upstream
      api_base: {{${upstream}}}/v1
      api_key: sk-${id}
      region_name: ${region}${extra}
    model_info:
      id: ${id}`;
}

export async function chat(
  h: Harness,
  model: string,
  user: string | undefined,
  extra: Record<string, unknown> = {},
  signal?: AbortSignal,
) {
  const body = { model, messages: [{ role: "user", content: "hi" }], ...(user ? { user } : {}), ...extra };
  if (!signal) return post(`${h.url}/v1/chat/completions`, body, h.auth);
  const res = await fetch(`${h.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...h.auth },
    body: JSON.stringify(body),
    signal,
  });
  return { status: res.status, headers: res.headers, json: undefined, text: await res.text() };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond` holds (polling), or fail after `ms`. */
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await sleep(10);
  }
}

export function resetAll(h: Harness): void {
  for (const u of Object.values(h.upstreams)) u.reset();
}

export const hits = (h: Harness) =>
  Object.fromEntries(Object.entries(h.upstreams).map(([k, u]) => [k, u.hits])) as Record<string, number>;
