import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";

interface Report {
  requests: number;
  customers: {
    end_user: string | null;
    allowed: string[] | null;
    requests: number;
    served_by_geography: Record<string, number>;
    refused_or_failed: number;
    restricted_by: string[];
    violations: number;
  }[];
  violations: { request_id: string; end_user: string | null; geography: string | null; detail: string }[];
}
interface Verify {
  ok: boolean;
  records: number;
  problems: { kind?: string; call_id?: string; request_id?: string; detail?: string }[];
}
interface Log {
  request_id: string;
  startTime: string;
  end_user: string | null;
  model_group: string | null;
  geography: string | null;
  status: string;
  spend: number;
}

/** The proof: the residency report per customer, the spend log's chain check, the latest records. */
export function Residency() {
  const [report, setReport] = useState<Report>();
  const [verify, setVerify] = useState<Verify>();
  const [logs, setLogs] = useState<Log[]>([]);
  const [error, setError] = useState<string>();
  async function load() {
    try {
      const [r, v, l] = await Promise.all([
        api<Report>("GET", "/audit/residency"),
        api<Verify>("GET", "/audit/verify"),
        api<{ data: Log[] }>("GET", "/spend/logs?page=1&page_size=20"),
      ]);
      setReport(r);
      setVerify(v);
      setLogs(l.data);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="residency-h">
      <h2 id="residency-h">Residency report</h2>
      <div class="row">
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
        <a href="/audit/residency?format=csv" class="muted">
          CSV (needs the key in the request: use curl)
        </a>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {verify && (
        <p role="status" data-verify={verify.ok ? "ok" : "tampered"} class={verify.ok ? "ok" : "error"}>
          {verify.ok
            ? `Spend log intact: ${verify.records} records, every hash chain verifies.`
            : `Spend log TAMPERED: ${verify.problems.length} problem(s) — ${verify.problems
                .slice(0, 3)
                .map((p) => p.detail ?? p.kind ?? "")
                .join("; ")}`}
        </p>
      )}
      {report && (
        <>
          <p>
            {report.requests} requests recorded;{" "}
            <strong data-violations={report.violations.length}>{report.violations.length}</strong> served or
            attempted outside their customer's policy.
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Allowed</th>
                <th scope="col">Served by geography</th>
                <th scope="col">Refused / failed</th>
                <th scope="col">Violations</th>
              </tr>
            </thead>
            <tbody>
              {report.customers.map((c) => (
                <tr data-end-user={c.end_user ?? ""}>
                  <th scope="row">
                    {c.end_user ?? <span class="muted">(no end user)</span>}
                    {c.end_user === null && c.restricted_by.length > 0 && (
                      <span class="muted"> · {c.restricted_by.join(", ")}</span>
                    )}
                  </th>
                  <td>{c.allowed ? c.allowed.join(", ") || "nothing" : "any"}</td>
                  <td>
                    {Object.entries(c.served_by_geography)
                      .map(([g, n]) => `${g}: ${n}`)
                      .join(", ")}
                  </td>
                  <td>{c.refused_or_failed}</td>
                  <td class={c.violations ? "error" : ""}>{c.violations}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3>Latest records</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Customer</th>
            <th scope="col">Model group</th>
            <th scope="col">Served in</th>
            <th scope="col">Status</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {logs.map((l) => (
            <tr>
              <td>{new Date(l.startTime).toLocaleTimeString()}</td>
              <td>{l.end_user ?? ""}</td>
              <td>{l.model_group ?? ""}</td>
              <td>{l.geography ?? "—"}</td>
              <td>{l.status}</td>
              <td>${l.spend.toFixed(6)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
