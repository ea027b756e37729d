import type { Kysely } from "kysely";
import type { AccessStore } from "./access-types.js";
import * as keys from "./keys.js";
import type { Database } from "./schema.js";
import * as spend from "./spend.js";
import * as teams from "./teams.js";
import * as users from "./users.js";

/** The AccessStore over the customer store's Kysely connection (same database, same migrations). */
export function accessStore(db: Kysely<Database>): AccessStore {
  return {
    createKey: (k) => keys.createKey(db, k),
    getKey: (t) => keys.getKey(db, t),
    getKeyByAlias: (a) => keys.getKeyByAlias(db, a),
    updateKey: (t, f) => keys.updateKey(db, t, f),
    replaceToken: (o, t, n, f) => keys.replaceToken(db, o, t, n, f),
    deleteKeys: (t) => keys.deleteKeys(db, t),
    listKeys: (q) => keys.listKeys(db, q),
    createTeam: (t, m) => teams.createTeam(db, t, m),
    getTeam: (id) => teams.getTeam(db, id),
    updateTeam: (id, f) => teams.updateTeam(db, id, f),
    deleteTeams: (ids) => teams.deleteTeams(db, ids),
    listTeams: (q) => teams.listTeams(db, q),
    setMembers: (id, a, r) => teams.setMembers(db, id, a, r),
    members: (id) => teams.members(db, id),
    teamsOf: (u) => teams.teamsOf(db, u),
    createUser: (u) => users.createUser(db, u),
    getUser: (id) => users.getUser(db, id),
    updateUser: (id, f) => users.updateUser(db, id, f),
    deleteUsers: (ids) => users.deleteUsers(db, ids),
    listUsers: (q) => users.listUsers(db, q),
    addSpend: (d) => spend.addSpend(db, d),
    resetBudgets: (now, next) => spend.resetBudgets(db, now, next),
  };
}
