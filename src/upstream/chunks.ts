/**
 * The body of a streaming upstream response as an async iterator fed by an undici dispatch handler:
 * chunks are handed straight to a waiting reader, or queued; past `highWater` queued bytes the
 * connection is paused until the reader catches up (backpressure). Cheaper per chunk than the
 * Readable stream undici's `request()` builds, which matters for streams of hundreds of chunks.
 */
export class ChunkQueue implements AsyncIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private error: Error | undefined;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: Error) => void } | undefined;
  private paused = false;

  constructor(
    /** Pause / resume the upstream connection; `destroy` aborts it. */
    private readonly flow: { pause(): void; resume(): void; destroy(err: Error): void },
    private readonly highWater = 64 * 1024,
  ) {}

  /** From the handler: one chunk of body. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w.resolve({ done: false, value: chunk });
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.paused && this.queued >= this.highWater) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** From the handler: the body ended (`err` undefined) or failed. */
  finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    if (err) w.reject(err);
    else w.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.queue.shift();
    if (chunk !== undefined) {
      this.queued -= chunk.length;
      if (this.paused && this.queued < this.highWater / 2) {
        this.paused = false;
        this.flow.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.ended) {
      if (this.error) {
        const e = this.error;
        this.error = undefined; // thrown once; afterwards the iterator is simply done
        return Promise.reject(e);
      }
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The reader stops early: drop what is queued and abort the upstream response. */
  async return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return { done: true, value: undefined };
  }

  destroy(): void {
    if (this.ended) return;
    this.queue.length = 0;
    this.queued = 0;
    this.finish();
    this.flow.destroy(new Error("stream body no longer read"));
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this;
  }
}
