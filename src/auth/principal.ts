import type { Principal } from "../pipeline/types.js";
import { type RegionRestriction, restriction } from "../router/filters.js";
import type { InternalUser, Team, VirtualKey } from "../store/access-types.js";
import type { AccessGrant, LimitScope } from "./grant.js";

/** A key's rows as the request path needs them: checks that depend on the clock stay separate. */
export interface Loaded {
  principal: Principal;
  blocked: boolean;
  /** The team's id when the team is blocked. */
  teamBlocked: string | undefined;
  expiresMs: number | null;
}

export function principalOf(key: VirtualKey, team: Team | undefined, user: InternalUser | undefined): Loaded {
  const regions: RegionRestriction[] = [];
  if (key.allowed_model_region)
    regions.push(restriction("key", key.key_alias ?? key.key_name, key.allowed_model_region));
  if (team?.allowed_model_region) regions.push(restriction("team", team.team_id, team.allowed_model_region));
  const scopes: LimitScope[] = [
    {
      kind: "key",
      id: key.token,
      scope: "api_key",
      label: `Key=${key.key_alias ?? ""} (${key.key_name})`,
      rpm: key.rpm_limit,
      tpm: key.tpm_limit,
      parallel: key.max_parallel_requests,
      maxBudget: key.max_budget,
      spend: key.spend,
      period: key.budget_reset_at ?? "",
    },
  ];
  if (team)
    scopes.push({
      kind: "team",
      id: team.team_id,
      scope: "team",
      label: `Team=${team.team_id}`,
      rpm: team.rpm_limit,
      tpm: team.tpm_limit,
      parallel: team.max_parallel_requests,
      maxBudget: team.max_budget,
      spend: team.spend,
      period: team.budget_reset_at ?? "",
    });
  if (user)
    scopes.push({
      kind: "user",
      id: user.user_id,
      scope: "user",
      label: `User=${user.user_id}`,
      rpm: user.rpm_limit,
      tpm: user.tpm_limit,
      parallel: null,
      maxBudget: user.max_budget,
      spend: user.spend,
      period: user.budget_reset_at ?? "",
    });
  const grant: AccessGrant = {
    keyHash: key.token,
    keyName: key.key_name,
    teamId: key.team_id ?? undefined,
    userId: key.user_id ?? undefined,
    keyModels: key.models,
    teamModels: team ? team.models : undefined,
    aliases: key.aliases,
    scopes,
    regions,
  };
  return {
    principal: Object.freeze({
      kind: "virtual",
      keyHash: key.token,
      keyId: key.key_id ?? key.token,
      keyAlias: key.key_alias ?? undefined,
      teamId: grant.teamId,
      userId: grant.userId,
      regions,
      grant,
    }),
    blocked: key.blocked,
    teamBlocked: team?.blocked ? team.team_id : undefined,
    expiresMs: key.expires ? Date.parse(key.expires) : null,
  };
}
