import type { SpendLogStore } from "../store/spend-logs.js";
import { type ChainProblem, type ChainSummary, ChainVerifier } from "./chain.js";

export interface VerifyReport {
  ok: boolean;
  records: number;
  chains: ChainSummary[];
  problems: ChainProblem[];
}

/** Recompute every chain from the database; list each missing, inserted or edited record. */
export async function verifySpendLog(store: SpendLogStore): Promise<VerifyReport> {
  const { heads, unregistered } = await store.chains();
  const chains: ChainSummary[] = [];
  const problems: ChainProblem[] = [];
  const ids: Array<[string, (typeof heads)[number] | undefined]> = [
    ...heads.map((h) => [h.instance_id, h] as [string, (typeof heads)[number]]),
    ...unregistered.map((id) => [id, undefined] as [string, undefined]),
  ];
  for (const [id, head] of ids) {
    const v = new ChainVerifier(id, head);
    for await (const row of store.chain(id)) v.add(row);
    chains.push(v.finish());
    problems.push(...v.problems);
  }
  return { ok: problems.length === 0, records: chains.reduce((n, c) => n + c.records, 0), chains, problems };
}

/** The report as lines for a terminal: one per problem, then a summary. */
export function formatReport(r: VerifyReport): string {
  const lines = r.problems.map(
    (p) =>
      `${p.kind.toUpperCase()}  chain ${p.instance_id} seq ${p.seq}${p.last_seq ? `-${p.last_seq}` : ""}${p.request_id ? ` call ${p.request_id}` : ""}: ${p.detail}`,
  );
  for (const c of r.chains)
    lines.push(`chain ${c.instance_id}: ${c.records} records, head ${c.head_seq} ${c.head_hash}`);
  lines.push(
    r.ok
      ? `OK: ${r.records} records in ${r.chains.length} chains verified`
      : `FAILED: ${r.problems.length} problems in ${r.records} records`,
  );
  return `${lines.join("\n")}\n`;
}
