import type { Geography } from "../regions/table.js";

/** Budget and limit fields keys, teams and users share (LiteLLM's names). */
export interface Budgeted {
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  /** When the spend next goes back to 0 (ISO), set from budget_duration. */
  budget_reset_at: string | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
}

/** A virtual key as stored: `token` is the sha256 hex of the key; the key itself is never stored. */
export interface VirtualKey extends Budgeted {
  token: string;
  /**
   * The key's id across regenerations (a random uuid; keys made before it existed have their token
   * then): what owns the stored objects of a key without a team (affinity/owner.ts).
   */
  key_id: string | null;
  /** LiteLLM's abbreviation `sk-...XXXX`. */
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  models: string[];
  aliases: Record<string, string>;
  metadata: Record<string, unknown>;
  blocked: boolean;
  expires: string | null;
  max_parallel_requests: number | null;
  allowed_model_region: Geography | null;
  created_at: string;
  updated_at: string;
}

export type NewKey = Omit<VirtualKey, "created_at" | "updated_at" | "key_id"> & { key_id?: string | null };

export interface Team extends Budgeted {
  team_id: string;
  team_alias: string | null;
  models: string[];
  metadata: Record<string, unknown>;
  blocked: boolean;
  max_parallel_requests: number | null;
  allowed_model_region: Geography | null;
  created_at: string;
  updated_at: string;
}

export interface InternalUser extends Budgeted {
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  user_role: string;
  models: string[];
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface TeamMember {
  user_id: string;
  role: string;
}

type Writable<T> = Partial<Omit<T, "created_at" | "updated_at">>;
export type KeyFields = Writable<Omit<VirtualKey, "token" | "key_name">>;
export type TeamFields = Writable<Omit<Team, "team_id">>;
export type UserFields = Writable<Omit<InternalUser, "user_id">>;

/** Whose spend a delta is added to. */
export type SpendKind = "key" | "team" | "user" | "customer";

export interface SpendDelta {
  kind: SpendKind;
  id: string;
  amount: number;
}

/** "alias_exists": the unique key_alias is taken (nothing was written). */
export type AliasConflict = "alias_exists";
/** "key_exists": a key with that value (its hash) is stored already (nothing was written). */
export type KeyConflict = "key_exists";

/** Persistence for keys, teams and users. Implementations throw on storage failure. */
export interface AccessStore {
  /** `key_id` absent: a new random one. */
  createKey(k: NewKey): Promise<VirtualKey | AliasConflict | KeyConflict>;
  getKey(token: string): Promise<VirtualKey | undefined>;
  getKeyByAlias(alias: string): Promise<VirtualKey | undefined>;
  updateKey(token: string, f: KeyFields): Promise<VirtualKey | undefined | AliasConflict>;
  /** Moves a key to a new token (regenerate): the old one stops working in the same write. */
  replaceToken(
    oldToken: string,
    token: string,
    keyName: string,
    f: KeyFields,
  ): Promise<VirtualKey | undefined | AliasConflict | KeyConflict>;
  /** All or nothing: when any token is unknown, nothing is deleted. */
  deleteKeys(tokens: string[]): Promise<{ deleted: string[]; missing: string[] }>;
  listKeys(q: {
    teamId?: string;
    userId?: string;
    keyAlias?: string;
    limit: number;
    offset: number;
  }): Promise<{ keys: VirtualKey[]; total: number }>;

  createTeam(t: Omit<Team, "created_at" | "updated_at">, members: TeamMember[]): Promise<Team | undefined>;
  getTeam(teamId: string): Promise<Team | undefined>;
  updateTeam(teamId: string, f: TeamFields): Promise<Team | undefined>;
  /** All or nothing; deletes the teams' keys and memberships too, and returns the keys' tokens. */
  deleteTeams(teamIds: string[]): Promise<{ deleted: string[]; missing: string[]; keys: string[] }>;
  listTeams(q: { userId?: string; limit: number; offset: number }): Promise<Team[]>;
  setMembers(teamId: string, add: TeamMember[], remove: string[]): Promise<TeamMember[] | undefined>;
  members(teamId: string): Promise<TeamMember[]>;
  teamsOf(userId: string): Promise<string[]>;

  createUser(u: Omit<InternalUser, "created_at" | "updated_at">): Promise<InternalUser | undefined>;
  getUser(userId: string): Promise<InternalUser | undefined>;
  updateUser(userId: string, f: UserFields): Promise<InternalUser | undefined>;
  /** All or nothing; deletes the users' keys and memberships, and returns the keys' tokens. */
  deleteUsers(userIds: string[]): Promise<{ deleted: string[]; missing: string[]; keys: string[] }>;
  listUsers(q: { limit: number; offset: number }): Promise<{ users: InternalUser[]; total: number }>;

  /** Adds each delta to its row's spend in one transaction (rows that are gone are skipped). */
  addSpend(deltas: SpendDelta[]): Promise<void>;
  /**
   * Sets spend to 0 on every row whose budget_reset_at is past `now`, and its next reset time to
   * `next(row)`. Compare-and-set on budget_reset_at: two instances running it together reset once.
   */
  resetBudgets(
    now: string,
    next: (duration: string, from: string) => string | null,
  ): Promise<Array<{ kind: SpendKind; id: string }>>;
}
