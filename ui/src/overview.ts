import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";

export interface DeploymentRow {
  id: string;
  model_group: string;
  provider: string;
  model: string;
  api_base: string | null;
  geography: string | null;
  region_name: string | null;
  region_source: string;
  evidence: string | null;
  state: "healthy" | "partial_outage" | "cooling";
  cooldown_seconds: number;
}

export interface Overview {
  generated_at: string;
  deployments: DeploymentRow[];
  served: { model_group: string; geography: string; requests: number }[];
  refusals: { model_group: string; reason: string; requests: number }[];
}

/** /meridian/overview, refreshed every `everyMs` while the view is shown. */
export function useOverview(everyMs: number): { data: Overview | undefined; error: string | undefined } {
  const [data, setData] = useState<Overview>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const o = await api<Overview>("GET", "/meridian/overview");
        if (!stop) {
          setData(o);
          setError(undefined);
        }
      } catch (e) {
        if (!stop) setError((e as Error).message);
      }
    };
    void tick();
    const t = setInterval(tick, everyMs);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [everyMs]);
  return { data, error };
}

export function host(apiBase: string | null): string {
  if (!apiBase) return "(mock)";
  try {
    return new URL(apiBase).host;
  } catch {
    return apiBase;
  }
}
