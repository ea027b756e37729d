import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { SpendLogStore } from "../store/spend-logs.js";
import { type ChainHead, link } from "./chain.js";
import { buildRecord, type ChainedRecord, type RecordInput, type SpendRecord } from "./record.js";

export interface WriterOptions {
  store: SpendLogStore;
  instanceId: string;
  logger: Logger;
  /** Records per database write; a full batch is written at once. */
  batchSize: number;
  /** A partial batch is written after this long (LiteLLM's proxy_batch_write_at). */
  flushMs: number;
  /** Records held in memory while the database fails; beyond it they go to the spill file. */
  maxQueue: number;
  /** Directory of the append-only spill files. */
  spillDir: string;
}

export interface WriterStats {
  queued: number;
  written: number;
  spilled: number;
  replayed: number;
  failedWrites: number;
  databaseUp: boolean;
}

const SPILL_PREFIX = "spend-spill-";

/**
 * The spend log's writer: a request's facts are taken as they arrive and turned into chained
 * records (in arrival order) when a batch is written, off the response path: building and hashing
 * many records in one loop costs a fraction of doing it between responses (issue 15's "accounting
 * on within 10 % of off"). They are then written in batches. While the database fails they stay queued
 * (at most `maxQueue`), the overflow is appended to a spill file (fsynced), and everything spilled
 * is replayed once a write succeeds again. close() writes what is queued, or spills it: a clean
 * shutdown loses nothing; a crash loses at most the queue (≤ flushMs of records, or maxQueue).
 */
export class SpendWriter {
  /** Facts not yet made into records (newer than everything in `queue`). */
  private pending: RecordInput[] = [];
  private queue: ChainedRecord[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lateSpill: NodeJS.Immediate | undefined;
  private spillPending = false;
  private warned = false;
  readonly stats: WriterStats = {
    queued: 0,
    written: 0,
    spilled: 0,
    replayed: 0,
    failedWrites: 0,
    databaseUp: true,
  };

  private constructor(
    private readonly o: WriterOptions,
    private readonly head: ChainHead,
    private readonly spillFile: string,
  ) {}

  /** Registers (or continues) the instance's chain and replays spill files left by earlier runs. */
  static async start(o: WriterOptions): Promise<SpendWriter> {
    const head = await o.store.registerChain(o.instanceId);
    const safe = o.instanceId.replace(/[^A-Za-z0-9_.-]/g, "_");
    const w = new SpendWriter(o, head, join(o.spillDir, `${SPILL_PREFIX}${safe}.jsonl`));
    w.spillPending = true;
    await w.replay();
    // A stable chain id may have left a spill file: its records, replayed, moved the stored head
    // past the one read above; new records follow them (else they would collide and be skipped).
    if (w.stats.replayed > 0) {
      const now = await o.store.registerChain(o.instanceId);
      if (now.seq > head.seq) Object.assign(head, now);
    }
    w.timer = setInterval(() => void w.flush(), o.flushMs);
    w.timer.unref();
    return w;
  }

  get instanceId(): string {
    return this.o.instanceId;
  }

  /** Take one request's facts. Never throws, never waits. */
  add(r: RecordInput): void {
    this.pending.push(r);
    this.stats.queued++;
    if (this.closed) {
      // after close (refusals while shutting down): nothing will flush again; keep them on disk,
      // one fsynced append per burst rather than one per record
      if (!this.lateSpill)
        this.lateSpill = setImmediate(() => {
          this.lateSpill = undefined;
          this.chainPending();
          this.spill(this.queue.splice(0));
        });
      return;
    }
    const held = this.pending.length + this.queue.length;
    if (held > this.o.maxQueue) {
      this.chainPending();
      this.spill(this.queue.splice(0, this.queue.length - this.o.maxQueue));
    }
    if (held >= this.o.batchSize && !this.flushing && this.stats.databaseUp) void this.flush();
  }

  /** Build and chain what is pending, in arrival order, behind what is queued. */
  private chainPending(): void {
    for (const input of this.pending) this.queue.push(link(this.head, recordOf(input)));
    this.pending.length = 0;
  }

  /** Write everything queued (in batches). Resolves when done or when a write failed (kept queued). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    this.chainPending();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.batchSize);
      try {
        await this.o.store.insert(batch);
        this.stats.written += batch.length;
        this.up();
      } catch (err) {
        this.queue.unshift(...batch);
        this.down(err);
        return;
      }
      this.chainPending();
    }
    if (this.spillPending) await this.replay();
  }

  private up(): void {
    if (!this.stats.databaseUp) this.o.logger.info("spend log: database writable again");
    this.stats.databaseUp = true;
    this.warned = false;
  }

  private down(err: unknown): void {
    this.stats.failedWrites++;
    this.stats.databaseUp = false;
    if (!this.warned)
      this.o.logger.warn(
        { err: (err as Error)?.message ?? String(err), queued: this.queue.length },
        "spend log: database write failed; records kept queued (overflow spilled to disk) until it recovers",
      );
    this.warned = true;
  }

  /** Append records to this instance's spill file and fsync it. */
  private spill(records: readonly ChainedRecord[]): void {
    if (records.length === 0) return;
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join("");
    mkdirSync(this.o.spillDir, { recursive: true });
    const fd = openSync(this.spillFile, "a");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.stats.spilled += records.length;
    this.spillPending = true;
  }

  /**
   * Insert every spill file in the directory (this instance's and any left by others). A file is
   * claimed by renaming it first, so new spills start a fresh file and two instances never replay
   * the same one at once; a replay that fails leaves its file for the next attempt. Records already
   * stored are skipped by the store (same instance and sequence number).
   */
  private async replay(): Promise<void> {
    this.spillPending = false;
    let names: string[];
    try {
      names = readdirSync(this.o.spillDir).filter((n) => n.startsWith(SPILL_PREFIX));
    } catch {
      return;
    }
    for (const name of names) {
      let file = join(this.o.spillDir, name);
      if (!name.includes(".replay-")) {
        const claimed = `${file}.replay-${process.pid}-${Date.now()}`;
        try {
          renameSync(file, claimed);
        } catch {
          continue; // another instance claimed it
        }
        file = claimed;
      }
      const records: ChainedRecord[] = [];
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line) continue;
        try {
          records.push(JSON.parse(line) as ChainedRecord);
        } catch {
          this.o.logger.error({ file }, "spend log: unreadable line in a spill file skipped (torn write?)");
        }
      }
      try {
        for (let i = 0; i < records.length; i += this.o.batchSize)
          await this.o.store.insert(records.slice(i, i + this.o.batchSize));
      } catch (err) {
        this.down(err);
        this.spillPending = true;
        return;
      }
      unlinkSync(file);
      this.stats.replayed += records.length;
      this.o.logger.info({ records: records.length }, "spend log: spilled records replayed");
    }
  }

  /** Stop the timer and write what is queued; what cannot be written is spilled to disk. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.closed = true;
    await this.flushing;
    await this.flush();
    this.chainPending();
    this.spill(this.queue.splice(0));
  }
}

/** buildRecord never throws; should it, the request still gets a record of what is certain. */
function recordOf(i: RecordInput): SpendRecord {
  try {
    return buildRecord(i);
  } catch (err) {
    return buildRecord({
      ...i,
      model: undefined,
      deployment: undefined,
      attempts: [],
      prompt: { unserialisable: String((err as Error)?.message ?? err).slice(0, 200) },
      response: undefined,
    });
  }
}
