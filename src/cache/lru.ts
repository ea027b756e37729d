interface Slot<V> {
  value: V;
  bytes: number;
  expires: number;
}

/**
 * In-memory cache bounded by bytes (each value's size as its owner counts it), least recently used
 * out first; each entry expires after its own TTL.
 */
export class ByteLru<V> {
  private readonly map = new Map<string, Slot<V>>();
  private used = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string, now = Date.now()): V | undefined {
    const s = this.map.get(key);
    if (!s) return undefined;
    if (s.expires <= now) {
      this.remove(key, s);
      return undefined;
    }
    // most recently used goes last: Map keeps insertion order
    this.map.delete(key);
    this.map.set(key, s);
    return s.value;
  }

  /** `bytes`: what the value holds in memory (the key's UTF-16 size is added). */
  set(key: string, value: V, valueBytes: number, ttlMs: number, now = Date.now()): boolean {
    const bytes = 2 * key.length + valueBytes;
    const old = this.map.get(key);
    if (old) this.remove(key, old);
    if (bytes > this.maxBytes || ttlMs <= 0) return false;
    this.map.set(key, { value, bytes, expires: now + ttlMs });
    this.used += bytes;
    for (const [k, s] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.remove(k, s);
    }
    return true;
  }

  delete(key: string): void {
    const s = this.map.get(key);
    if (s) this.remove(key, s);
  }

  private remove(key: string, s: Slot<V>): void {
    this.map.delete(key);
    this.used -= s.bytes;
  }
}
