import { randomUUID } from "node:crypto";
import { addDuration } from "../budgets/duration.js";
import { gatewayError } from "../errors.js";
import type { AccessStore, Team, TeamFields, TeamMember } from "../store/access-types.js";
import type { storeGuard } from "./guard.js";
import type { KeyService } from "./key-service.js";
import { ensureUser } from "./user-admin.js";

const DEFAULTS = {
  spend: 0,
  max_budget: null,
  budget_duration: null,
  budget_reset_at: null,
  tpm_limit: null,
  rpm_limit: null,
  team_alias: null,
  models: [],
  metadata: {},
  blocked: false,
  max_parallel_requests: null,
  allowed_model_region: null,
} satisfies Omit<Team, "team_id" | "created_at" | "updated_at">;

export type TeamAnswer = Team & { members_with_roles: TeamMember[] };

/** /team/* operations; a change reaches every key of the team (their cached grants are dropped). */
export class TeamAdmin {
  constructor(
    private readonly store: AccessStore,
    private readonly keys: KeyService,
    private readonly guard: ReturnType<typeof storeGuard>,
  ) {}

  async create(teamId: string | undefined, f: TeamFields, members: TeamMember[]): Promise<TeamAnswer> {
    const id = teamId ?? randomUUID();
    const row = { ...DEFAULTS, ...f, team_id: id };
    if (row.budget_duration) row.budget_reset_at = addDuration(row.budget_duration, new Date());
    const t = await this.guard(() => this.store.createTeam(row, members));
    if (!t) throw gatewayError("team_exists", { id }, { param: "team_id" });
    for (const m of members) await this.guard(() => ensureUser(this.store, m.user_id));
    return { ...t, members_with_roles: members };
  }

  async update(teamId: string, f: TeamFields): Promise<TeamAnswer> {
    const g: TeamFields = { ...f };
    if (g.budget_duration !== undefined)
      g.budget_reset_at = g.budget_duration ? addDuration(g.budget_duration, new Date()) : null;
    const t = await this.guard(() => this.store.updateTeam(teamId, g));
    if (!t) throw notFound([teamId]);
    await this.keys.invalidate({ kind: "team", id: teamId });
    return this.withMembers(t);
  }

  async delete(teamIds: string[]): Promise<string[]> {
    const r = await this.guard(() => this.store.deleteTeams(teamIds));
    if (r.missing.length > 0) throw notFound(r.missing);
    await this.keys.invalidate(
      ...r.deleted.map((id) => ({ kind: "team" as const, id })),
      ...r.keys.map((id) => ({ kind: "key" as const, id })),
    );
    return r.deleted;
  }

  async members(teamId: string, add: TeamMember[], remove: string[]): Promise<TeamAnswer> {
    for (const m of add) await this.guard(() => ensureUser(this.store, m.user_id));
    const list = await this.guard(() => this.store.setMembers(teamId, add, remove));
    if (!list) throw notFound([teamId]);
    const t = await this.guard(() => this.store.getTeam(teamId));
    if (!t) throw notFound([teamId]);
    return { ...t, members_with_roles: list };
  }

  async setBlocked(teamId: string, blocked: boolean): Promise<TeamAnswer> {
    return this.update(teamId, { blocked });
  }

  async info(teamId: string) {
    const t = await this.guard(() => this.store.getTeam(teamId));
    if (!t) throw notFound([teamId]);
    const [team, keys] = await Promise.all([
      this.withMembers(t),
      this.guard(() => this.store.listKeys({ teamId, limit: 1000, offset: 0 })),
    ]);
    return { team_id: teamId, team_info: team, keys: keys.keys };
  }

  async list(userId: string | undefined, limit: number, offset: number): Promise<TeamAnswer[]> {
    const teams = await this.guard(() => this.store.listTeams({ userId, limit, offset }));
    return Promise.all(teams.map((t) => this.withMembers(t)));
  }

  private async withMembers(t: Team): Promise<TeamAnswer> {
    return { ...t, members_with_roles: await this.guard(() => this.store.members(t.team_id)) };
  }
}

function notFound(ids: string[]) {
  return gatewayError("team_not_found", { ids }, { param: "team_id" });
}
