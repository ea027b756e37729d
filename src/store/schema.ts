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
  /** Who may use the object (src/affinity/owner.ts); null: anyone the gateway admits. */
  owner?: string | null;
}

export interface Database extends AccessTables {
  customers: CustomerRow;
  affinity: AffinityRow;
  meridian_meta: { key: string; value: string; id?: Generated<number> };
}

/** A virtual key: only its sha256 (`token`) is stored, never the key itself. */
export interface KeyRow {
  token: string;
  key_id: string | null;
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  /** JSON arrays/objects as text. */
  models: string;
  aliases: string;
  metadata: string;
  blocked: number;
  expires: string | null;
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  allowed_model_region: string | null;
  created_at: string;
  updated_at: string;
}

export interface TeamRow {
  team_id: string;
  team_alias: string | null;
  models: string;
  metadata: string;
  blocked: number;
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  allowed_model_region: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserRow {
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  user_role: string;
  models: string;
  metadata: string;
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  created_at: string;
  updated_at: string;
}

export interface TeamMemberRow {
  team_id: string;
  user_id: string;
  role: string;
}

export interface AccessTables {
  virtual_keys: KeyRow;
  teams: TeamRow;
  internal_users: UserRow;
  team_members: TeamMemberRow;
}
