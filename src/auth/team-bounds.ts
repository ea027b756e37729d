import { type GatewayError, gatewayError } from "../errors.js";
import { modelAllowed } from "../limits/models.js";
import type { Team, VirtualKey } from "../store/access-types.js";

type Bounded = Pick<
  VirtualKey,
  "models" | "max_budget" | "tpm_limit" | "rpm_limit" | "max_parallel_requests" | "allowed_model_region"
>;

/**
 * A key under a team cannot be given more than the team: its models must be among the team's, its
 * limits and budget at most the team's, its region the team's (another one would leave it nowhere
 * to be served). The first field that exceeds is the error's param.
 */
export function exceedsTeam(team: Team, k: Bounded): GatewayError | undefined {
  const refuse = (field: string, teamValue: unknown, asked: unknown) =>
    gatewayError(
      "key_exceeds_team",
      { field, teamId: team.team_id, team: JSON.stringify(teamValue), asked: JSON.stringify(asked) },
      { param: field },
    );
  if (team.models.length > 0) {
    const outside = k.models.filter((m) => !modelAllowed(team.models, [m]));
    if (outside.length > 0) return refuse("models", team.models, outside);
  }
  const limits = ["max_budget", "tpm_limit", "rpm_limit", "max_parallel_requests"] as const;
  for (const f of limits) {
    const cap = team[f];
    const asked = k[f];
    if (cap !== null && asked !== null && asked > cap) return refuse(f, cap, asked);
  }
  if (
    team.allowed_model_region &&
    k.allowed_model_region &&
    k.allowed_model_region !== team.allowed_model_region
  )
    return refuse("allowed_model_region", team.allowed_model_region, k.allowed_model_region);
  return undefined;
}
