import { hash } from "node:crypto";
import { GatewayError, gatewayError } from "../errors.js";
import { type Bus, DEAF_BOUND_MS } from "../kv/bus.js";
import type { Principal } from "../pipeline/types.js";
import type { AccessStore } from "../store/access-types.js";
import { type Loaded, principalOf } from "./principal.js";

export const KEY_INVALIDATE_CHANNEL = "meridian:key-invalidate";

/**
 * LiteLLM's storage form of a key: unsalted sha256 hex of the whole string. Once per request with a
 * virtual key: the one-shot hash costs a quarter of a Hash object's create/update/digest.
 */
export function hashKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** LiteLLM's `key_name`: `sk-...` and the last four characters. */
export function abbreviate(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

export interface KeyServiceOptions {
  ttlMs: number;
  maxEntries?: number;
  onStoreError?: (err: unknown) => void;
}

interface Entry {
  /** null: no such key (cached too, so a wrong key repeated does not read the store each time). */
  loaded: Loaded | null;
  expires: number;
}

/** What an invalidation names: one key, or every key of a team or a user. */
export type Invalidation = { kind: "key" | "team" | "user"; id: string };

/**
 * Virtual key -> Principal. Looked up once and cached; every admin change drops the entry here and,
 * through the bus, on every other process before the admin call answers (the customers' scheme:
 * customers/service.ts). A store error while resolving an uncached key is 503, never "let through".
 */
export class KeyService {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry | GatewayError>>();
  private epoch = 0;
  private ttlCapMs = Number.POSITIVE_INFINITY;
  private readonly maxEntries: number;

  constructor(
    readonly store: AccessStore,
    private readonly opts: KeyServiceOptions,
    private readonly bus: Bus,
  ) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    bus.subscribe(KEY_INVALIDATE_CHANNEL, (m) => {
      const i = m.indexOf(":");
      this.dropLocal({ kind: m.slice(0, i) as Invalidation["kind"], id: m.slice(i + 1) });
    });
  }

  /** The principal for a presented (plaintext) key: at once when cached, else a promise. */
  authenticate(key: string, now = Date.now()): Principal | GatewayError | Promise<Principal | GatewayError> {
    return this.principalOf(hashKey(key), key, now);
  }

  /** The same, for a key known by its hash (admin dry runs, POST /route/explain). */
  byToken(token: string, now = Date.now()): Principal | GatewayError | Promise<Principal | GatewayError> {
    return this.principalOf(token, token, now);
  }

  private principalOf(token: string, shown: string, now: number) {
    const e = this.cache.get(token);
    if (e !== undefined && e.expires > now) return this.admit(e.loaded, shown, now);
    return this.load(token).then((r) =>
      r instanceof GatewayError ? r : this.admit(r.loaded, shown, Date.now()),
    );
  }

  private admit(l: Loaded | null, key: string, now: number): Principal | GatewayError {
    if (l === null) return gatewayError("invalid_api_key", { sent: true });
    if (l.blocked) return gatewayError("key_blocked", undefined, { param: abbreviate(key) });
    if (l.teamBlocked !== undefined) return gatewayError("team_blocked", { teamId: l.teamBlocked });
    if (l.expiresMs !== null && l.expiresMs <= now)
      return gatewayError(
        "expired_key",
        { expires: new Date(l.expiresMs).toISOString(), now: new Date(now).toISOString() },
        { param: abbreviate(key) },
      );
    return l.principal;
  }

  private load(token: string): Promise<Entry | GatewayError> {
    let p = this.pending.get(token);
    if (!p) {
      const epoch = this.epoch;
      p = this.read(token)
        .then(
          (loaded) => {
            const entry = { loaded, expires: Date.now() + Math.min(this.opts.ttlMs, this.ttlCapMs) };
            if (epoch === this.epoch) this.put(token, entry);
            return entry;
          },
          (err) => {
            this.opts.onStoreError?.(err);
            return gatewayError("auth_unavailable", undefined, { headers: { "retry-after": "1" } });
          },
        )
        .finally(() => {
          if (this.pending.get(token) === p) this.pending.delete(token);
        });
      this.pending.set(token, p);
    }
    return p;
  }

  private async read(token: string): Promise<Loaded | null> {
    const key = await this.store.getKey(token);
    if (!key) return null;
    const [team, user] = await Promise.all([
      key.team_id ? this.store.getTeam(key.team_id) : undefined,
      key.user_id ? this.store.getUser(key.user_id) : undefined,
    ]);
    return principalOf(key, team, user);
  }

  private put(token: string, e: Entry): void {
    if (this.cache.size >= this.maxEntries && !this.cache.has(token)) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, e);
  }

  private dropLocal(i: Invalidation): void {
    this.epoch++;
    if (i.kind === "key") {
      this.cache.delete(i.id);
      this.pending.delete(i.id);
      return;
    }
    // A team or user change reaches every key under it; admin changes are rare, the scan is fine.
    for (const [token, e] of this.cache) {
      const g = e.loaded?.principal.grant;
      if (g && (i.kind === "team" ? g.teamId === i.id : g.userId === i.id)) this.cache.delete(token);
    }
    this.pending.clear();
  }

  /** The bus is deaf: other instances' changes may not reach us. Forget, and cache briefly. */
  degrade(capMs: number): void {
    this.epoch++;
    this.cache.clear();
    this.ttlCapMs = capMs;
  }

  restore(): void {
    this.ttlCapMs = Number.POSITIVE_INFINITY;
  }

  /** After any admin change: here at once, every other process before the caller hears back. */
  async invalidate(...items: Invalidation[]): Promise<void> {
    for (const i of items) this.dropLocal(i);
    const confirmed = await Promise.all(
      items.map((i) => this.bus.publish(KEY_INVALIDATE_CHANNEL, `${i.kind}:${i.id}`)),
    );
    const failed = items.find((_, n) => !confirmed[n]);
    if (!failed) return;
    throw gatewayError(
      "invalidation_unconfirmed",
      {
        id: failed.kind === "key" ? `${failed.id.slice(0, 12)}…` : failed.id,
        what: failed.kind,
        deafBoundS: DEAF_BOUND_MS / 1000,
        ttlS: this.opts.ttlMs / 1000,
      },
      { headers: { "retry-after": "1" } },
    );
  }
}
