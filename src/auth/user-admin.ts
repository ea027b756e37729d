import { addDuration } from "../budgets/duration.js";
import { gatewayError } from "../errors.js";
import type { AccessStore, InternalUser, UserFields } from "../store/access-types.js";
import type { storeGuard } from "./guard.js";
import type { KeyService } from "./key-service.js";

export const USER_DEFAULTS = {
  spend: 0,
  max_budget: null,
  budget_duration: null,
  budget_reset_at: null,
  tpm_limit: null,
  rpm_limit: null,
  user_email: null,
  user_alias: null,
  user_role: "internal_user",
  models: [],
  metadata: {},
} satisfies Omit<InternalUser, "user_id" | "created_at" | "updated_at">;

/** LiteLLM creates the user a key or team membership names when it does not exist yet. */
export async function ensureUser(store: AccessStore, userId: string): Promise<void> {
  if (await store.getUser(userId)) return;
  await store.createUser({ ...USER_DEFAULTS, user_id: userId });
}

/** /user/* operations. */
export class UserAdmin {
  constructor(
    private readonly store: AccessStore,
    private readonly keys: KeyService,
    private readonly guard: ReturnType<typeof storeGuard>,
  ) {}

  async create(userId: string, f: UserFields): Promise<InternalUser> {
    const row = { ...USER_DEFAULTS, ...f, user_id: userId };
    if (row.budget_duration) row.budget_reset_at = addDuration(row.budget_duration, new Date());
    const u = await this.guard(() => this.store.createUser(row));
    if (!u) throw gatewayError("user_exists", { id: userId }, { param: "user_id" });
    return u;
  }

  async update(userId: string, f: UserFields): Promise<InternalUser> {
    const g: UserFields = { ...f };
    if (g.budget_duration !== undefined)
      g.budget_reset_at = g.budget_duration ? addDuration(g.budget_duration, new Date()) : null;
    const u = await this.guard(() => this.store.updateUser(userId, g));
    if (!u) throw gatewayError("user_not_found", { ids: [userId] }, { param: "user_id" });
    await this.keys.invalidate({ kind: "user", id: userId });
    return u;
  }

  async delete(userIds: string[]): Promise<string[]> {
    const r = await this.guard(() => this.store.deleteUsers(userIds));
    if (r.missing.length > 0) throw gatewayError("user_not_found", { ids: r.missing }, { param: "user_ids" });
    await this.keys.invalidate(
      ...r.deleted.map((id) => ({ kind: "user" as const, id })),
      ...r.keys.map((id) => ({ kind: "key" as const, id })),
    );
    return r.deleted;
  }

  async info(userId: string) {
    const u = await this.guard(() => this.store.getUser(userId));
    if (!u) throw gatewayError("user_not_found", { ids: [userId] }, { param: "user_id" });
    const [keys, teams] = await this.guard(() =>
      Promise.all([this.store.listKeys({ userId, limit: 1000, offset: 0 }), this.store.teamsOf(userId)]),
    );
    return { user_id: userId, user_info: { ...u, teams }, keys: keys.keys, teams };
  }

  list(limit: number, offset: number) {
    return this.guard(() => this.store.listUsers({ limit, offset }));
  }
}
