import type { Bus } from "../kv/bus.js";
import type { Store } from "../store/customers.js";
import { storeGuard } from "./guard.js";
import { KeyAdmin } from "./key-admin.js";
import { KeyService } from "./key-service.js";
import { TeamAdmin } from "./team-admin.js";
import { UserAdmin } from "./user-admin.js";

/** Virtual keys in the request path, and the admin operations on keys, teams and users. */
export interface AccessServices {
  keys: KeyService;
  keyAdmin: KeyAdmin;
  teamAdmin: TeamAdmin;
  userAdmin: UserAdmin;
}

export function accessServices(
  store: Store,
  bus: Bus,
  opts: { ttlMs: number; onStoreError: (err: unknown, op: string) => void },
): AccessServices {
  const keys = new KeyService(
    store.access,
    { ttlMs: opts.ttlMs, onStoreError: (e) => opts.onStoreError(e, "auth") },
    bus,
  );
  const guard = storeGuard(store.kind, (e) => opts.onStoreError(e, "admin"));
  return {
    keys,
    keyAdmin: new KeyAdmin(store.access, keys, guard),
    teamAdmin: new TeamAdmin(store.access, keys, guard),
    userAdmin: new UserAdmin(store.access, keys, guard),
  };
}
