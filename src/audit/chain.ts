import * as crypto from "node:crypto";
import { type ChainedRecord, recordValues, type SpendRecord } from "./record.js";

/** prev_hash of a chain's first record. */
export const GENESIS = "0".repeat(64);

/** Where one instance's chain stands: the last sequence number and hash it gave out. */
export interface ChainHead {
  instance_id: string;
  seq: number;
  hash: string;
}

/**
 * The canonical text of a record: its instance, sequence number and every content field in a fixed
 * order, as a JSON array. Values are the stored ones (JSON columns are already text), so the hash
 * can be recomputed from the database alone.
 */
export function canonical(instanceId: string, seq: number, r: SpendRecord): string {
  return JSON.stringify(recordValues(r, instanceId, seq));
}

// crypto.hash hashes in one call; a Hash object per record cost more than the sha256 itself on the
// accounting path.
export function recordHash(prevHash: string, instanceId: string, seq: number, r: SpendRecord): string {
  return crypto.hash("sha256", `${prevHash}\n${canonical(instanceId, seq, r)}`, "hex");
}

/** Give a record the next place in the chain: adds the chain fields to `r` itself (mutates `head`). */
export function link(head: ChainHead, r: SpendRecord): ChainedRecord {
  const seq = head.seq + 1;
  const hash = recordHash(head.hash, head.instance_id, seq, r);
  const out = r as ChainedRecord;
  out.instance_id = head.instance_id;
  out.seq = seq;
  out.prev_hash = head.hash;
  out.hash = hash;
  head.seq = seq;
  head.hash = hash;
  return out;
}

export type ProblemKind = "missing" | "inserted" | "edited";

export interface ChainProblem {
  kind: ProblemKind;
  instance_id: string;
  seq: number;
  /** A run of missing records is one problem: `seq` to `last_seq`. */
  last_seq?: number;
  /** The record's call id; for a missing record, undefined (see `detail`). */
  request_id?: string;
  detail: string;
}

export interface ChainSummary {
  instance_id: string;
  records: number;
  head_seq: number;
  head_hash: string;
}

/**
 * Checks one instance's chain, records in `seq` order (duplicates allowed: an inserted copy).
 * `head` is the chain's registered head, or undefined when the chain was never registered (every
 * record then counts as inserted).
 */
export class ChainVerifier {
  private expectSeq = 1;
  private prevHash = GENESIS;
  private count = 0;
  private lastRequest: string | undefined;
  readonly problems: ChainProblem[] = [];

  constructor(
    readonly instanceId: string,
    private readonly head: ChainHead | undefined,
  ) {}

  add(row: ChainedRecord): void {
    this.count++;
    const id = this.instanceId;
    const at = { instance_id: id, seq: row.seq, request_id: row.request_id };
    if (!this.head) {
      this.problems.push({ kind: "inserted", ...at, detail: "record of a chain that was never registered" });
      return;
    }
    if (row.seq > this.head.seq) {
      this.problems.push({ kind: "inserted", ...at, detail: `beyond the chain head (seq ${this.head.seq})` });
      return;
    }
    const content = recordHash(row.prev_hash, id, row.seq, row);
    if (row.seq < this.expectSeq) {
      // A second record with a sequence number already seen.
      this.problems.push({ kind: "inserted", ...at, detail: `duplicate sequence number ${row.seq}` });
      return;
    }
    if (row.seq > this.expectSeq) {
      this.missing(this.expectSeq, row.seq - 1, `before ${row.request_id}`);
      this.prevHash = row.prev_hash;
    }
    if (content !== row.hash) {
      this.problems.push({ kind: "edited", ...at, detail: "its content does not match its hash" });
    } else if (row.prev_hash !== this.prevHash && row.seq === this.expectSeq) {
      this.problems.push({
        kind: "edited",
        ...at,
        detail: "it does not link to the record before it (that record or this one was replaced)",
      });
    }
    this.expectSeq = row.seq + 1;
    this.prevHash = row.hash;
    this.lastRequest = row.request_id;
  }

  /** Records first..last are not there: one problem (a lost day can be millions of records). */
  private missing(first: number, last: number, where: string): void {
    const what = first === last ? `record ${first} is missing` : `records ${first} to ${last} are missing`;
    this.problems.push({
      kind: "missing",
      instance_id: this.instanceId,
      seq: first,
      ...(last > first ? { last_seq: last } : {}),
      detail: `${what} (after ${this.lastRequest ?? "the chain start"}; ${where})`,
    });
  }

  finish(): ChainSummary {
    if (this.head) {
      if (this.expectSeq <= this.head.seq)
        this.missing(this.expectSeq, this.head.seq, `the chain head is ${this.head.seq}`);
      if (this.expectSeq - 1 === this.head.seq && this.head.seq > 0 && this.prevHash !== this.head.hash)
        this.problems.push({
          kind: "edited",
          instance_id: this.instanceId,
          seq: this.head.seq,
          request_id: this.lastRequest,
          detail: "the last record does not match the chain head's hash",
        });
    }
    return {
      instance_id: this.instanceId,
      records: this.count,
      head_seq: this.head?.seq ?? 0,
      head_hash: this.head?.hash ?? GENESIS,
    };
  }
}
