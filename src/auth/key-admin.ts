import { randomBytes, randomUUID } from "node:crypto";
import { addDuration } from "../budgets/duration.js";
import { type GatewayError, gatewayError } from "../errors.js";
import type { AccessStore, KeyFields, Team, VirtualKey } from "../store/access-types.js";
import type { storeGuard } from "./guard.js";
import { abbreviate, hashKey, type KeyService } from "./key-service.js";
import { exceedsTeam } from "./team-bounds.js";
import { ensureUser } from "./user-admin.js";

/** What /key/generate and /key/update accept (validated by http/key-routes.ts). */
export interface KeyInput extends KeyFields {
  key?: string;
  duration?: string | null;
}

export type KeyAnswer = VirtualKey & { key?: string; token_id?: string; duration?: string | null };

/** sk- + 16 random bytes, url-safe: LiteLLM's `sk-` + secrets.token_urlsafe(16). */
export function newKey(): string {
  return `sk-${randomBytes(16).toString("base64url")}`;
}

/** A key named in an admin body: the plaintext `sk-…` (hashed here) or its token. */
export function tokenOf(keyOrToken: string): string {
  return keyOrToken.startsWith("sk-") ? hashKey(keyOrToken) : keyOrToken;
}

const DEFAULTS = {
  spend: 0,
  max_budget: null,
  budget_duration: null,
  budget_reset_at: null,
  tpm_limit: null,
  rpm_limit: null,
  key_alias: null,
  user_id: null,
  team_id: null,
  models: [],
  aliases: {},
  metadata: {},
  blocked: false,
  expires: null,
  max_parallel_requests: null,
  allowed_model_region: null,
} satisfies Omit<VirtualKey, "token" | "key_id" | "key_name" | "created_at" | "updated_at">;

/** /key/* operations: store first (durable), then invalidate every instance's cache, then answer. */
export class KeyAdmin {
  constructor(
    private readonly store: AccessStore,
    private readonly keys: KeyService,
    private readonly guard: ReturnType<typeof storeGuard>,
  ) {}

  async generate(input: KeyInput): Promise<KeyAnswer> {
    const key = input.key ?? newKey();
    const token = hashKey(key);
    const { duration, key: _k, ...fields } = input;
    const now = new Date();
    // a random id, not the key's hash: a key made later with a regenerated key's old value must not
    // inherit its objects
    const row = { ...DEFAULTS, ...fields, token, key_id: randomUUID(), key_name: abbreviate(key) };
    if (duration) row.expires = addDuration(duration, now);
    if (row.budget_duration) row.budget_reset_at = addDuration(row.budget_duration, now);
    if (row.team_id) this.bounded(await this.team(row.team_id), row);
    const created = await this.guard(() => this.store.createKey(row));
    if (created === "alias_exists") throw aliasTaken(row.key_alias as string);
    if (created === "key_exists") throw keyTaken("key");
    if (created.user_id) await this.guard(() => ensureUser(this.store, created.user_id as string));
    // a wrong guess of this key may be cached as "no such key" somewhere
    await this.keys.invalidate({ kind: "key", id: token });
    return { ...created, key, token_id: token, duration: duration ?? null };
  }

  async update(keyOrToken: string, input: KeyInput): Promise<VirtualKey> {
    const token = tokenOf(keyOrToken);
    const current = await this.get(token);
    const { duration, key: _k, ...fields } = input;
    const f: KeyFields = { ...fields };
    if (duration !== undefined) f.expires = duration ? addDuration(duration, new Date()) : null;
    if (f.budget_duration !== undefined)
      f.budget_reset_at = f.budget_duration ? addDuration(f.budget_duration, new Date()) : null;
    const merged = { ...current, ...f };
    if (merged.team_id) this.bounded(await this.team(merged.team_id), merged);
    const updated = await this.guard(() => this.store.updateKey(token, f));
    if (updated === "alias_exists") throw aliasTaken(f.key_alias as string);
    if (!updated) throw notFound([keyOrToken]);
    if (updated.user_id) await this.guard(() => ensureUser(this.store, updated.user_id as string));
    await this.keys.invalidate({ kind: "key", id: token });
    return updated;
  }

  async regenerate(keyOrToken: string, input: KeyInput): Promise<KeyAnswer> {
    const old = tokenOf(keyOrToken);
    const current = await this.get(old);
    const key = input.key ?? newKey();
    const token = hashKey(key);
    const { duration, key: _k, ...fields } = input;
    const f: KeyFields = { ...fields };
    if (duration !== undefined) f.expires = duration ? addDuration(duration, new Date()) : null;
    const merged = { ...current, ...f };
    if (merged.team_id) this.bounded(await this.team(merged.team_id), merged);
    const updated = await this.guard(() => this.store.replaceToken(old, token, abbreviate(key), f));
    if (updated === "alias_exists") throw aliasTaken(f.key_alias as string);
    if (updated === "key_exists") throw keyTaken("new_key");
    if (!updated) throw notFound([keyOrToken]);
    await this.keys.invalidate({ kind: "key", id: old }, { kind: "key", id: token });
    return { ...updated, key, token_id: token, duration: duration ?? null };
  }

  async delete(keysOrTokens: string[], aliases: string[]): Promise<string[]> {
    const tokens = keysOrTokens.map(tokenOf);
    const missing: string[] = [];
    for (const a of aliases) {
      const k = await this.guard(() => this.store.getKeyByAlias(a));
      if (k) tokens.push(k.token);
      else missing.push(a);
    }
    if (missing.length > 0) throw notFound(missing);
    const r = await this.guard(() => this.store.deleteKeys(tokens));
    if (r.missing.length > 0)
      throw notFound(r.missing.map((t) => keysOrTokens.find((k) => tokenOf(k) === t) ?? t));
    await this.keys.invalidate(...r.deleted.map((id) => ({ kind: "key" as const, id })));
    return [...keysOrTokens, ...aliases];
  }

  async setBlocked(keyOrToken: string, blocked: boolean): Promise<VirtualKey> {
    const token = tokenOf(keyOrToken);
    const updated = await this.guard(() => this.store.updateKey(token, { blocked }));
    if (!updated || updated === "alias_exists") throw notFound([keyOrToken]);
    await this.keys.invalidate({ kind: "key", id: token });
    return updated;
  }

  async info(keyOrToken: string): Promise<VirtualKey> {
    return this.get(tokenOf(keyOrToken));
  }

  list(q: Parameters<AccessStore["listKeys"]>[0]) {
    return this.guard(() => this.store.listKeys(q));
  }

  private async get(token: string): Promise<VirtualKey> {
    const k = await this.guard(() => this.store.getKey(token));
    if (!k) throw notFound([token.startsWith("sk-") ? abbreviate(token) : token]);
    return k;
  }

  private async team(teamId: string): Promise<Team> {
    const t = await this.guard(() => this.store.getTeam(teamId));
    if (!t) throw gatewayError("team_not_found", { ids: [teamId] }, { param: "team_id", status: 400 });
    return t;
  }

  private bounded(team: Team, k: Parameters<typeof exceedsTeam>[1]): void {
    const e = exceedsTeam(team, k);
    if (e) throw e;
  }
}

/** The chosen key is stored already; never echoed (it is a secret, possibly someone else's). */
function keyTaken(param: string): GatewayError {
  return gatewayError("key_exists", undefined, { param });
}

function aliasTaken(alias: string): GatewayError {
  return gatewayError("key_alias_exists", { alias }, { param: "key_alias" });
}

/** Never echoes a plaintext key: an `sk-` argument is shown abbreviated. */
function notFound(keys: string[]): GatewayError {
  return gatewayError(
    "key_not_found",
    { keys: keys.map((k) => (k.startsWith("sk-") ? abbreviate(k) : k)) },
    { param: "key" },
  );
}
