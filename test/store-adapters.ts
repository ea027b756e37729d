import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const PG_BASE = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh, empty store URL per call, and cleanup of all of them. */
export interface StoreAdapter {
  name: "sqlite" | "postgres";
  fresh(): string;
  cleanup(): Promise<void>;
}

export function sqliteAdapter(): StoreAdapter {
  const dir = mkdtempSync(join(tmpdir(), "meridian-store-"));
  return {
    name: "sqlite",
    fresh: () => `sqlite:${join(dir, `s-${randomBytes(4).toString("hex")}.db`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresAdapter(): StoreAdapter {
  const schemas: string[] = [];
  return {
    name: "postgres",
    fresh() {
      const s = `meridian_test_${randomBytes(6).toString("hex")}`;
      schemas.push(s);
      return `${PG_BASE}?schema=${s}`;
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      try {
        for (const s of schemas) await c.query(`drop schema if exists "${s}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}
