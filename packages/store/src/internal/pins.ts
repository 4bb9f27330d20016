/**
 * Reference counts of keys that are being read or written. Cleaning skips a pinned key (and the
 * whole stored output it belongs to), so nothing is evicted from under a reader or writer.
 */
export class PinSet {
  private readonly counts = new Map<string, number>();

  /** Pins `key`; the returned function unpins it, and does nothing when called again. */
  pin(key: string): () => void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.counts.get(key) ?? 1) - 1;
      if (n <= 0) this.counts.delete(key);
      else this.counts.set(key, n);
    };
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  get size(): number {
    return this.counts.size;
  }
}
