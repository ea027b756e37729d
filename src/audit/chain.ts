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

/** What the chain check keeps of a record once its own hash is checked: its links. */
interface Link {
  seq: number;
  prev_hash: string;
  hash: string;
  request_id: string;
  contentOk: boolean;
}

/**
 * Links held back waiting for a lower sequence number. Records arrive in call-id order (the order
 * requests started) and were chained in the order they ended: a record overtaken by others that
 * started earlier and ended later arrives first, so this holds about as many links as there were
 * requests in flight at once. Past the bound, the lowest sequence number still awaited counts as
 * missing (a deleted record otherwise holds back everything after it).
 */
export const MAX_HELD_LINKS = 200_000;

/**
 * Checks one instance's chain. Records may come in any order close to their sequence (duplicates
 * allowed: an inserted copy); each one's content is checked against its hash at once, its links in
 * sequence order. `head` is the chain's registered head, or undefined when the chain was never
 * registered (every record then counts as inserted).
 */
export class ChainVerifier {
  private expectSeq = 1;
  private prevHash = GENESIS;
  private count = 0;
  private lastRequest: string | undefined;
  private readonly held = new LinkHeap();
  readonly problems: ChainProblem[] = [];

  constructor(
    readonly instanceId: string,
    private readonly head: ChainHead | undefined,
    private readonly maxHeld = MAX_HELD_LINKS,
  ) {}

  add(row: ChainedRecord): void {
    this.count++;
    const at = { instance_id: this.instanceId, seq: row.seq, request_id: row.request_id };
    if (!this.head) {
      this.problems.push({ kind: "inserted", ...at, detail: "record of a chain that was never registered" });
      return;
    }
    if (row.seq > this.head.seq) {
      this.problems.push({ kind: "inserted", ...at, detail: `beyond the chain head (seq ${this.head.seq})` });
      return;
    }
    const contentOk = recordHash(row.prev_hash, this.instanceId, row.seq, row) === row.hash;
    this.held.push({
      seq: row.seq,
      prev_hash: row.prev_hash,
      hash: row.hash,
      request_id: row.request_id,
      contentOk,
    });
    this.release(false);
  }

  /** Check held links in sequence order while the next one is there (or, at the end, all). */
  private release(all: boolean): void {
    for (;;) {
      const top = this.held.peek();
      if (!top || (top.seq > this.expectSeq && !all && this.held.size <= this.maxHeld)) return;
      this.link(this.held.pop() as Link);
    }
  }

  private link(l: Link): void {
    const at = { instance_id: this.instanceId, seq: l.seq, request_id: l.request_id };
    if (l.seq < this.expectSeq) {
      // A second record with a sequence number already seen.
      this.problems.push({ kind: "inserted", ...at, detail: `duplicate sequence number ${l.seq}` });
      return;
    }
    if (l.seq > this.expectSeq) {
      this.missing(this.expectSeq, l.seq - 1, `before ${l.request_id}`);
      this.prevHash = l.prev_hash;
    }
    if (!l.contentOk) {
      this.problems.push({ kind: "edited", ...at, detail: "its content does not match its hash" });
    } else if (l.prev_hash !== this.prevHash && l.seq === this.expectSeq) {
      this.problems.push({
        kind: "edited",
        ...at,
        detail: "it does not link to the record before it (that record or this one was replaced)",
      });
    }
    this.expectSeq = l.seq + 1;
    this.prevHash = l.hash;
    this.lastRequest = l.request_id;
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
    this.release(true);
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

/** A binary min-heap of links by sequence number, then hash (a stable order for duplicates). */
class LinkHeap {
  private readonly a: Link[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): Link | undefined {
    return this.a[0];
  }

  push(l: Link): void {
    const a = this.a;
    let i = a.push(l) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): Link | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Link, y: Link): boolean {
  return x.seq < y.seq || (x.seq === y.seq && x.hash < y.hash);
}
