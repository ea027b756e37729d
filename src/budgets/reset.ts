import type { KeyService } from "../auth/key-service.js";
import type { CustomerService } from "../customers/service.js";
import type { AccessStore } from "../store/access-types.js";
import { addDuration } from "./duration.js";

export interface ResetOptions {
  intervalMs: number;
  onError?: (err: unknown) => void;
}

/**
 * Budget resets by budget_duration: every `intervalMs`, rows whose budget_reset_at has passed go
 * back to spend 0 with their next reset time. Safe with several instances: each row is reset by a
 * compare-and-set on budget_reset_at (store/spend.ts), so only one instance resets it, and that one
 * tells every instance to reload it (the new period starts new counters in the ledger and Redis).
 */
export class BudgetResetJob {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: AccessStore,
    private readonly keys: KeyService,
    private readonly customers: CustomerService,
    opts: ResetOptions,
  ) {
    this.timer = setInterval(() => void this.run().catch((err) => opts.onError?.(err)), opts.intervalMs);
    this.timer.unref();
  }

  /** One pass; the number of rows reset. */
  run(now = new Date()): Promise<number> {
    this.running ??= this.pass(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(now: Date): Promise<number> {
    const done = await this.store.resetBudgets(now.toISOString(), (d, from) => addDuration(d, from));
    for (const r of done) {
      // best effort: a missed invalidation still expires with the cache TTL
      if (r.kind === "customer") await this.customers.invalidate(r.id).catch(() => undefined);
      else await this.keys.invalidate({ kind: r.kind, id: r.id }).catch(() => undefined);
    }
    return done.length;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
