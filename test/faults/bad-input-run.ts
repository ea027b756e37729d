import { pool, send } from "./client.js";
import type { BadInput } from "./corpus.js";
import { checkEnvelope } from "./ledger.js";
import { rawExchange } from "./raw.js";
import { MASTER } from "./world.js";

export interface BadInputResult {
  name: string;
  /** A 4xx envelope with a code — or, where allowed, a normal answer (its region is checked at the upstream). */
  good: boolean;
  seen: string;
}

/** Send every case to the gateway at `url`, four at a time (the slow-drip one holds its slot longest). */
export function runBadInputs(url: string, cases: readonly BadInput[]): Promise<BadInputResult[]> {
  const port = Number(new URL(url).port);
  return pool(cases, 4, async (c) => {
    const a = c.raw
      ? await rawExchange(port, c.raw.chunks, c.raw)
      : await send(url, {
          method: c.http?.method ?? "POST",
          path: c.http?.path ?? "/",
          headers: { ...MASTER, ...c.http?.headers },
          body: c.http?.body,
        });
    const text = "body" in a ? a.body : a.text;
    const env = checkEnvelope(text);
    const enveloped4xx = a.status >= 400 && a.status < 500 && env.ok;
    const good = enveloped4xx || (c.expect === "4xx-or-served" && a.status === 200);
    return { name: c.name, good, seen: `${a.status || a.error} ${env.code ?? env.why}` };
  });
}
