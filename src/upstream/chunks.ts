/** Where a piped body goes: node's Writable contract (write() false means wait for "drain"). */
export interface ChunkSink {
  write(chunk: Buffer): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
}

/** A streaming body: pulled chunk by chunk, or (when it can) piped straight into a sink. */
export interface ChunkSource extends AsyncIterator<Buffer> {
  pipeTo?(sink: ChunkSink): Promise<void>;
}

/**
 * The body of a streaming upstream response as an async iterator fed by an undici dispatch handler:
 * chunks are handed straight to a waiting reader, or queued; past `highWater` queued bytes the
 * connection is paused until the reader catches up (backpressure). Cheaper per chunk than the
 * Readable stream undici's `request()` builds, which matters for streams of hundreds of chunks.
 */
export class ChunkQueue implements ChunkSource {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private error: Error | undefined;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: Error) => void } | undefined;
  private paused = false;
  private sink: ChunkSink | undefined;
  private piped: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(
    /** Pause / resume the upstream connection; `destroy` aborts it. */
    private readonly flow: { pause(): void; resume(): void; destroy(err: Error): void },
    private readonly highWater = 64 * 1024,
  ) {}

  /** From the handler: one chunk of body. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    if (this.sink) {
      if (!this.sink.write(chunk)) this.holdUntilDrained();
      return;
    }
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
    const p = this.piped;
    if (p) {
      this.piped = undefined;
      this.error = undefined;
      if (err) p.reject(err);
      else p.resolve();
      return;
    }
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

  /**
   * From now on, every chunk goes straight from the handler into `sink` as it arrives: no promise or
   * iterator result per chunk, which for a model's stream of hundreds of small chunks is most of what
   * the gateway itself spends on it. A full sink pauses the connection until it drains. Resolves when
   * the body ends, rejects with its error; what was queued before is written first.
   */
  pipeTo(sink: ChunkSink): Promise<void> {
    let full = false;
    for (const chunk of this.queue) full = !sink.write(chunk) || full;
    this.queue.length = 0;
    this.queued = 0;
    if (this.ended) {
      const e = this.error;
      this.error = undefined;
      return e ? Promise.reject(e) : Promise.resolve();
    }
    this.sink = sink;
    if (full) this.holdUntilDrained();
    else if (this.paused) {
      this.paused = false;
      this.flow.resume();
    }
    return new Promise((resolve, reject) => {
      this.piped = { resolve, reject };
    });
  }

  private holdUntilDrained(): void {
    if (this.paused) return;
    this.paused = true;
    this.flow.pause();
    this.sink?.once("drain", () => {
      if (!this.paused || this.ended) return;
      this.paused = false;
      this.flow.resume();
    });
  }

  /** The reader stops early: drop what is queued and abort the upstream response. */
  async return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return { done: true, value: undefined };
  }

  /** End the body with `err` (the reader or pipe sees it) and abort the upstream response. */
  fail(err: Error): void {
    if (this.ended) return;
    this.queue.length = 0;
    this.queued = 0;
    this.finish(err);
    this.flow.destroy(err);
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
