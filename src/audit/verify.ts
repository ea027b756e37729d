import type { SpendLogStore } from "../store/spend-logs.js";
import { type ChainProblem, type ChainSummary, ChainVerifier } from "./chain.js";

export interface VerifyReport {
  ok: boolean;
  records: number;
  chains: ChainSummary[];
  problems: ChainProblem[];
}

/**
 * Recompute every chain from the database; list each missing, inserted or edited record. One pass
 * over the log in call-id order (the primary key's), each chain checked as its records come.
 */
export async function verifySpendLog(store: SpendLogStore): Promise<VerifyReport> {
  const verifiers = new Map<string, ChainVerifier>();
  for (const h of await store.heads()) verifiers.set(h.instance_id, new ChainVerifier(h.instance_id, h));
  for await (const row of store.everything()) {
    let v = verifiers.get(row.instance_id);
    if (!v) {
      v = new ChainVerifier(row.instance_id, undefined);
      verifiers.set(row.instance_id, v);
    }
    v.add(row);
  }
  const chains: ChainSummary[] = [];
  const problems: ChainProblem[] = [];
  for (const id of [...verifiers.keys()].sort()) {
    const v = verifiers.get(id) as ChainVerifier;
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
