import { type ChainedRecord, isRouteRecord } from "./record.js";

export interface Violation {
  request_id: string;
  start_time: string;
  end_user: string | null;
  allowed: string[];
  /** The deployment and geography outside the policy: the serving one, or an attempt's. */
  deployment_id: string | null;
  geography: string | null;
  detail: string;
}

export interface CustomerResidency {
  end_user: string | null;
  /** Allowed geographies seen in its records (null: unrestricted). */
  allowed: string[] | null;
  /** Who restricted it: `source:id` of each restriction seen (customer, key, team, default). */
  restricted_by: string[];
  requests: number;
  /** Served requests by serving geography ("unassigned" for a deployment without one). */
  served_by_geography: Record<string, number>;
  refused_or_failed: number;
  violations: number;
}

export interface ResidencyReport {
  from: string | null;
  to: string | null;
  requests: number;
  customers: CustomerResidency[];
  violations: Violation[];
}

interface PolicyView {
  allowed: string[] | null;
  sources?: Array<{ source: string; id: string | null }>;
}

/**
 * Per customer, requests by serving geography; every record that was served from, or sent a
 * byte to (any attempt), a geography outside its own policy is a violation. Pure: feed it records.
 */
export class ResidencyTally {
  private readonly byCustomer = new Map<string, CustomerResidency>();
  private readonly violations: Violation[] = [];
  private requests = 0;

  add(r: ChainedRecord): void {
    // admin and report requests carry no prompt and reach no deployment: not residency's business
    if (isRouteRecord(r.call_type)) return;
    this.requests++;
    const { allowed, sources } = policyOf(r.policy);
    // Requests without an end user are one row per policy: an unrestricted request and one pinned
    // by its key or team must not be counted as one party.
    const key = r.end_user ?? `\u0000${allowed?.join(",") ?? "*"}\u0000${sources.join(",")}`;
    let c = this.byCustomer.get(key);
    if (!c) {
      c = {
        end_user: r.end_user,
        allowed,
        restricted_by: [],
        requests: 0,
        served_by_geography: {},
        refused_or_failed: 0,
        violations: 0,
      };
      this.byCustomer.set(key, c);
    }
    c.requests++;
    if (allowed && (!c.allowed || allowed.join() !== c.allowed.join()))
      c.allowed = [...new Set([...(c.allowed ?? []), ...allowed])].sort();
    for (const src of sources) if (!c.restricted_by.includes(src)) c.restricted_by.push(src);
    if (r.status === "success" && r.model_id !== null) {
      const g = r.geography ?? "unassigned";
      c.served_by_geography[g] = (c.served_by_geography[g] ?? 0) + 1;
    } else c.refused_or_failed++;
    if (!allowed) return;
    const v = this.outside(r, allowed);
    if (v) {
      c.violations++;
      this.violations.push(v);
    }
  }

  private outside(r: ChainedRecord, allowed: string[]): Violation | undefined {
    const base = { request_id: r.request_id, start_time: r.start_time, end_user: r.end_user, allowed };
    if (r.model_id !== null && (r.geography === null || !allowed.includes(r.geography)))
      return {
        ...base,
        deployment_id: r.model_id,
        geography: r.geography,
        detail: `served by ${r.model_id} in ${r.geography ?? "an unassigned geography"}`,
      };
    for (const a of attemptsOf(r.attempts))
      if (a.geography === null || !allowed.includes(a.geography))
        return {
          ...base,
          deployment_id: a.deployment_id,
          geography: a.geography,
          detail: `attempt sent to ${a.deployment_id} in ${a.geography ?? "an unassigned geography"}`,
        };
    return undefined;
  }

  report(from: string | undefined, to: string | undefined): ResidencyReport {
    return {
      from: from ?? null,
      to: to ?? null,
      requests: this.requests,
      customers: [...this.byCustomer.values()].sort(
        (a, b) =>
          (a.end_user ?? "").localeCompare(b.end_user ?? "") ||
          (a.allowed?.join() ?? "").localeCompare(b.allowed?.join() ?? ""),
      ),
      violations: this.violations,
    };
  }
}

function policyOf(policy: string): { allowed: string[] | null; sources: string[] } {
  try {
    const p = JSON.parse(policy) as PolicyView;
    const sources = Array.isArray(p.sources) ? p.sources.map((x) => `${x.source}:${x.id ?? ""}`).sort() : [];
    return { allowed: Array.isArray(p.allowed) ? p.allowed : null, sources };
  } catch {
    // An unreadable policy cannot prove the record was allowed anywhere: check it against nothing.
    return { allowed: [], sources: ["unreadable"] };
  }
}

function attemptsOf(s: string): Array<{ deployment_id: string; geography: string | null }> {
  try {
    const a = JSON.parse(s) as unknown;
    return Array.isArray(a) ? (a as Array<{ deployment_id: string; geography: string | null }>) : [];
  } catch {
    return [];
  }
}
