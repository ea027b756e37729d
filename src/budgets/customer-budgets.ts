import type { LimitScope } from "../auth/grant.js";
import { INVALIDATE_CHANNEL } from "../customers/service.js";
import { gatewayError } from "../errors.js";
import type { Bus } from "../kv/bus.js";
import type { Customer } from "../store/customers.js";

interface Entry {
  scope: LimitScope | null;
  expires: number;
}

/**
 * Customers' (end users') max_budget as a limit scope, cached like their region policy and dropped
 * on the same invalidations (customers/service.ts publishes every admin change and reset on
 * INVALIDATE_CHANNEL). A store error is 503 policy_unavailable, as for the customer's region.
 */
export class CustomerBudgets {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly read: (id: string) => Promise<Customer | undefined>,
    bus: Bus,
    private readonly ttlMs: number,
  ) {
    bus.subscribe(INVALIDATE_CHANNEL, (id) => this.cache.delete(id));
  }

  /** The customer's budget scope (null: no budget), at once when cached. */
  scope(id: string, now = Date.now()): LimitScope | null | Promise<LimitScope | null> {
    const e = this.cache.get(id);
    if (e && e.expires > now) return e.scope;
    return this.read(id).then(
      (c) => {
        const scope = c?.max_budget != null ? scopeOf(c) : null;
        if (this.cache.size >= 100_000) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(id, { scope, expires: Date.now() + this.ttlMs });
        return scope;
      },
      () => {
        // fail closed: an unknown budget is not "no budget"
        throw gatewayError("policy_unavailable", { id }, { headers: { "retry-after": "1" } });
      },
    );
  }

  clear(): void {
    this.cache.clear();
  }
}

function scopeOf(c: Customer): LimitScope {
  const period = (c as Customer & { budget_reset_at?: string | null }).budget_reset_at ?? "";
  return {
    kind: "customer",
    id: c.user_id,
    scope: "customer",
    label: `Customer=${c.user_id}`,
    rpm: null,
    tpm: null,
    parallel: null,
    maxBudget: c.max_budget,
    spend: c.spend,
    period,
  };
}
