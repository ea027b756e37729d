import type { EndUserPolicy } from "../config/normalize.js";
import { GatewayError, gatewayError } from "../errors.js";
import { type Bus, DEAF_BOUND_MS } from "../kv/bus.js";
import type { Geography } from "../regions/table.js";
import { policyOf, type RegionPolicy, restriction, UNRESTRICTED } from "../router/filters.js";
import type { Customer, CustomerFields, Store } from "../store/customers.js";
import { normalizeId } from "./identify.js";

export const INVALIDATE_CHANNEL = "meridian:customer-invalidate";

export interface CustomerServiceOptions {
  ttlMs: number;
  endUserPolicy: EndUserPolicy;
  defaultRegion: Geography | undefined;
  /** Bound on cached end users (known and unknown), so random ids cannot grow memory forever. */
  maxEntries?: number;
  /** Told about store failures (the client only hears "unavailable"). */
  onStoreError?: (err: unknown, op: string) => void;
}

interface Entry {
  /** A policy to apply, or the error to answer with (blocked, rejected). */
  outcome: RegionPolicy | GatewayError;
  expires: number;
}

/**
 * End users -> region policy. A known end user is answered from memory (no store read on the hot
 * path); every admin change invalidates the entry here and, through the bus, on every other
 * process. A store error while resolving an uncached end user is 503 policy_unavailable: we never
 * guess "unrestricted".
 */
export class CustomerService {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<RegionPolicy | GatewayError>>();
  /** Bumped on every invalidation: a store read that raced with one is not cached. */
  private epoch = 0;
  private readonly maxEntries: number;
  private readonly noEndUser: RegionPolicy | GatewayError;

  constructor(
    readonly store: Store,
    private readonly opts: CustomerServiceOptions,
    private readonly bus: Bus,
  ) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    bus.subscribe(INVALIDATE_CHANNEL, (id) => this.dropLocal(id));
    this.noEndUser =
      opts.endUserPolicy === "reject"
        ? gatewayError("end_user_required", {}, { param: "user" })
        : opts.endUserPolicy === "default_region"
          ? defaultPolicy(opts.defaultRegion, undefined)
          : UNRESTRICTED;
  }

  /** Sync fast path: the cached outcome, or undefined when the store must be asked. */
  cached(endUserId: string | undefined, now: number): RegionPolicy | GatewayError | undefined {
    if (endUserId === undefined) return this.noEndUser;
    const e = this.cache.get(endUserId);
    if (e !== undefined && e.expires > now) return e.outcome;
    return undefined;
  }

  /** The policy for an end user; throws GatewayError (blocked, rejected, policy_unavailable). */
  async policyFor(endUserId: string | undefined): Promise<RegionPolicy> {
    const hit = this.cached(endUserId, Date.now());
    const outcome = hit ?? (await this.load(endUserId as string));
    if (outcome instanceof GatewayError) throw outcome;
    return outcome;
  }

  private load(id: string): Promise<RegionPolicy | GatewayError> {
    let p = this.pending.get(id);
    if (!p) {
      const epoch = this.epoch;
      p = this.store
        .getCustomer(id)
        .then(
          (c) => {
            const outcome = this.outcomeFor(id, c);
            if (epoch === this.epoch) this.put(id, outcome);
            return outcome;
          },
          (err) => {
            this.opts.onStoreError?.(err, "policy");
            return gatewayError("policy_unavailable", { id }, { headers: { "retry-after": "1" } });
          },
        )
        .finally(() => {
          if (this.pending.get(id) === p) this.pending.delete(id);
        });
      this.pending.set(id, p);
    }
    return p;
  }

  private outcomeFor(id: string, c: Customer | undefined): RegionPolicy | GatewayError {
    if (!c) {
      if (this.opts.endUserPolicy === "reject") {
        return gatewayError("end_user_required", { id }, { param: "user" });
      }
      if (this.opts.endUserPolicy === "default_region") {
        return defaultPolicy(this.opts.defaultRegion, id);
      }
      return policyOf([], id);
    }
    if (c.blocked) return gatewayError("customer_blocked", { id }, { param: "user" });
    return policyOf(c.allowed_model_region ? [restriction("customer", id, c.allowed_model_region)] : [], id);
  }

  private put(id: string, outcome: RegionPolicy | GatewayError): void {
    if (this.cache.size >= this.maxEntries && !this.cache.has(id)) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(id, { outcome, expires: Date.now() + Math.min(this.opts.ttlMs, this.ttlCapMs) });
  }

  /** Lowered while invalidations from other processes may be lost (see degrade). */
  private ttlCapMs = Number.POSITIVE_INFINITY;

  /**
   * The bus to other instances is down, so their changes would not reach this cache: forget
   * everything and, until restore(), cache for at most `capMs`. A Redis outage then costs store
   * reads, never a stale region for longer than `capMs`.
   */
  degrade(capMs: number): void {
    this.epoch++;
    this.cache.clear();
    this.ttlCapMs = capMs;
  }

  restore(): void {
    this.ttlCapMs = Number.POSITIVE_INFINITY;
  }

  private dropLocal(id: string): void {
    this.epoch++;
    this.cache.delete(id);
    // A read started before the change may still be in flight: later requests must not join it.
    this.pending.delete(id);
  }

  /**
   * After any change: forget here at once, and tell every other process. Admin operations await
   * this before answering: once the bus has the message, every other process sees the change before
   * the client can send its next request. When the bus does not confirm (Redis down or hung, no
   * receipt from the cluster primary), the change is stored but the caller hears 503 saying so.
   */
  async invalidate(id: string): Promise<void> {
    this.dropLocal(id);
    if (await this.bus.publish(INVALIDATE_CHANNEL, id)) return;
    throw gatewayError(
      "invalidation_unconfirmed",
      { id, deafBoundS: DEAF_BOUND_MS / 1000, ttlS: this.opts.ttlMs / 1000 },
      { headers: { "retry-after": "1" } },
    );
  }

  /** Several invalidations; the first unconfirmed one is thrown once all were tried. */
  private async invalidateAll(ids: string[]): Promise<void> {
    const results = await Promise.allSettled(ids.map((id) => this.invalidate(id)));
    for (const r of results) if (r.status === "rejected") throw r.reason;
  }

  // ---- admin operations: store first (durable), then invalidate ----

  async create(rawId: string, fields: CustomerFields): Promise<Customer> {
    const userId = normalizeId(rawId);
    const c = await this.guard(() => this.store.createCustomer(userId, fields));
    if (!c) throw gatewayError("customer_exists", { id: userId }, { param: "user_id" });
    // a cached "unknown" outcome for this id (unrestricted under `open`) must go everywhere
    await this.invalidate(userId);
    return c;
  }

  async get(rawId: string): Promise<Customer> {
    const userId = normalizeId(rawId);
    const c = await this.guard(() => this.store.getCustomer(userId));
    if (!c) throw notFound([userId]);
    return c;
  }

  async update(rawId: string, fields: CustomerFields): Promise<Customer> {
    const userId = normalizeId(rawId);
    const c = await this.guard(() => this.store.updateCustomer(userId, fields));
    if (!c) {
      // nothing changed; forgetting a stale entry is best effort
      await this.invalidate(userId).catch(() => undefined);
      throw notFound([userId]);
    }
    await this.invalidate(userId);
    return c;
  }

  async delete(rawIds: string[]): Promise<number> {
    const userIds = rawIds.map(normalizeId);
    const r = await this.guard(() => this.store.deleteCustomers(userIds));
    if (r.missing.length > 0) throw notFound(r.missing);
    await this.invalidateAll(userIds);
    return r.deleted;
  }

  async setBlocked(rawIds: string[], blocked: boolean): Promise<number> {
    const userIds = rawIds.map(normalizeId);
    const r = await this.guard(() => this.store.setBlocked(userIds, blocked));
    if (r.missing.length > 0) throw notFound(r.missing);
    await this.invalidateAll(userIds);
    return r.updated;
  }

  list(limit: number, offset: number): Promise<Customer[]> {
    return this.guard(() => this.store.listCustomers({ limit, offset }));
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.opts.onStoreError?.(err, "admin");
      throw gatewayError(
        "store_unavailable",
        { store: this.store.kind },
        { headers: { "retry-after": "1" } },
      );
    }
  }
}

/** Unknown end users under `end_user_policy: default_region`. */
function defaultPolicy(region: Geography | undefined, id: string | undefined): RegionPolicy {
  return policyOf(region ? [restriction("default", id, region)] : [], id);
}

function notFound(ids: string[]): GatewayError {
  return gatewayError("customer_not_found", { ids }, { param: "user_id" });
}
