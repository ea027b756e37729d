import type { RedisLink } from "../kv/redis.js";
import type { Geography } from "../regions/table.js";
import type { AffinityTable } from "../store/affinity.js";
import type { AffinityRow } from "../store/schema.js";

/** What kind of upstream object an id names; ids of different kinds never collide. */
export type AffinityKind = "response" | "file" | "batch" | (string & {});

/** Where an upstream object lives, as remembered when it was created. */
export interface AffinityEntry {
  readonly kind: AffinityKind;
  readonly id: string;
  /** The deployment (model_info.id) that created and holds the object. */
  readonly deploymentId: string;
  /** The caller's allowed geographies at creation; undefined when the caller was unrestricted. */
  readonly policyGeographies: readonly Geography[] | undefined;
  /** State Meridian keeps itself (a translated response's conversation); undefined for most. */
  readonly data: unknown;
  readonly createdAt: string;
  /** Who may use it (owner.ts); undefined: anyone the gateway admits (open gateway, older rows). */
  readonly owner: string | undefined;
}

/** What an entry may carry besides its deployment. */
export interface RememberExtra {
  /** The caller's allowed geographies at creation (null or absent: unrestricted). */
  geographies?: Iterable<Geography> | null;
  /** State Meridian keeps itself. */
  data?: unknown;
  /** Who may use the object (owner.ts). */
  owner?: string;
}

/** The store could not answer and nothing else knew the id: the caller must refuse, not guess. */
export class AffinityUnavailable extends Error {
  constructor(cause: unknown) {
    super(`affinity store unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "AffinityUnavailable";
  }
}

export interface AffinityOptions {
  /** Shares entries between instances ahead of the store, when Redis is configured. */
  redis?: RedisLink;
  /** Entries kept in this process (least recently used dropped first). */
  maxEntries?: number;
  /** How long Redis keeps an entry; the store keeps it until deleted. OpenAI keeps responses 30 days. */
  redisTtlSeconds?: number;
  onError?: (err: unknown, op: string) => void;
}

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_REDIS_TTL_S = 30 * 24 * 3600;

/**
 * id -> deployment for objects that live on one deployment (stored responses, files, batches), so a
 * follow-up goes where its state is. The store is the record; Redis (when set) and a local cache sit
 * in front of it. An entry never changes once written, so the local cache cannot serve a wrong
 * deployment; entries that carry `data` are not cached locally, because a delete on another
 * instance must not leave this one serving deleted state. A lookup that cannot reach the store
 * (and finds nothing in front of it) throws AffinityUnavailable: the caller refuses with a 503 —
 * it must never send the follow-up "somewhere".
 */
export class Affinity {
  private readonly cache = new Map<string, AffinityEntry>();
  private readonly maxEntries: number;
  private readonly ttlS: number;

  constructor(
    private readonly table: AffinityTable,
    private readonly opts: AffinityOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.ttlS = opts.redisTtlSeconds ?? DEFAULT_REDIS_TTL_S;
  }

  /**
   * Remember that `deploymentId` holds object `id`. Resolves once the store (or, with the store
   * down, Redis) has it; throws AffinityUnavailable when neither took it.
   */
  async remember(
    kind: AffinityKind,
    id: string,
    deploymentId: string,
    extra: RememberExtra = {},
  ): Promise<AffinityEntry> {
    const { geographies, data, owner } = extra;
    const geos = geographies ? [...geographies].sort() : undefined;
    const entry: AffinityEntry = {
      kind,
      id,
      deploymentId,
      policyGeographies: geos,
      data,
      createdAt: new Date().toISOString(),
      owner,
    };
    const row = toRow(entry);
    let stored = false;
    let storeErr: unknown;
    try {
      await this.table.put(row);
      stored = true;
    } catch (err) {
      storeErr = err;
      this.opts.onError?.(err, "affinity.remember");
    }
    const shared = await this.redisSet(row);
    if (!stored && !shared) throw new AffinityUnavailable(storeErr);
    this.keep(entry);
    return entry;
  }

  /** The entry for `id`, or undefined when no instance ever remembered it (or it was forgotten). */
  async lookup(kind: AffinityKind, id: string): Promise<AffinityEntry | undefined> {
    const key = cacheKey(kind, id);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const fromRedis = await this.redisGet(kind, id);
    if (fromRedis) return this.keep(fromRow(fromRedis));
    let row: AffinityRow | undefined;
    try {
      row = await this.table.get(kind, id);
    } catch (err) {
      this.opts.onError?.(err, "affinity.lookup");
      throw new AffinityUnavailable(err);
    }
    if (!row) return undefined;
    await this.redisSet(row);
    return this.keep(fromRow(row));
  }

  /** Forget `id` everywhere (after the upstream deleted it). Throws AffinityUnavailable on a store failure. */
  async forget(kind: AffinityKind, id: string): Promise<void> {
    this.cache.delete(cacheKey(kind, id));
    const link = this.opts.redis;
    if (link?.up) await link.cmd.del(redisKey(link, kind, id)).catch(() => undefined);
    try {
      await this.table.delete(kind, id);
    } catch (err) {
      this.opts.onError?.(err, "affinity.forget");
      throw new AffinityUnavailable(err);
    }
  }

  private keep(e: AffinityEntry): AffinityEntry {
    if (e.data !== undefined) return e;
    const key = cacheKey(e.kind, e.id);
    this.cache.delete(key);
    this.cache.set(key, e);
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return e;
  }

  private async redisSet(row: AffinityRow): Promise<boolean> {
    const link = this.opts.redis;
    if (!link?.up) return false;
    try {
      await link.cmd.set(redisKey(link, row.kind, row.id), JSON.stringify(row), "EX", this.ttlS);
      return true;
    } catch (err) {
      this.opts.onError?.(err, "affinity.redis_set");
      return false;
    }
  }

  private async redisGet(kind: string, id: string): Promise<AffinityRow | undefined> {
    const link = this.opts.redis;
    if (!link?.up) return undefined;
    try {
      const s = await link.cmd.get(redisKey(link, kind, id));
      return s ? (JSON.parse(s) as AffinityRow) : undefined;
    } catch (err) {
      // Redis is a shortcut: the store still answers.
      this.opts.onError?.(err, "affinity.redis_get");
      return undefined;
    }
  }
}

function cacheKey(kind: string, id: string): string {
  return `${kind}\u0000${id}`;
}

function redisKey(link: RedisLink, kind: string, id: string): string {
  return `${link.prefix}affinity:${kind}:${id}`;
}

function toRow(e: AffinityEntry): AffinityRow {
  return {
    kind: e.kind,
    id: e.id,
    deployment_id: e.deploymentId,
    geographies: e.policyGeographies ? e.policyGeographies.join(",") : null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
    created_at: e.createdAt,
    owner: e.owner ?? null,
  };
}

function fromRow(r: AffinityRow): AffinityEntry {
  return {
    kind: r.kind,
    id: r.id,
    deploymentId: r.deployment_id,
    policyGeographies:
      r.geographies === null ? undefined : (r.geographies.split(",").filter(Boolean) as Geography[]),
    data: r.data === null ? undefined : JSON.parse(r.data),
    createdAt: r.created_at,
    owner: r.owner ?? undefined,
  };
}
