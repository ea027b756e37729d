import type { Generated } from "kysely";

/** Row shapes, identical on SQLite and Postgres (booleans as 0/1, times as ISO text, JSON as text). */
export interface CustomerRow {
  user_id: string;
  alias: string | null;
  allowed_model_region: string | null;
  default_model: string | null;
  blocked: number;
  spend: number;
  max_budget: number | null;
  budget_id: string | null;
  metadata: string | null;
  created_at: string;
  updated_at: string;
}

/** Which deployment holds an upstream object (src/affinity/). geographies: comma-separated, or null. */
export interface AffinityRow {
  kind: string;
  id: string;
  deployment_id: string;
  geographies: string | null;
  data: string | null;
  created_at: string;
}

export interface Database {
  customers: CustomerRow;
  affinity: AffinityRow;
  meridian_meta: { key: string; value: string; id?: Generated<number> };
}
