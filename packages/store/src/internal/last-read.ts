/**
 * Last-read times are kept in memory and written to the index in one transaction per flush
 * (every `flushMs`, before each clean and at close), so a read never waits for a SQLite write.
 */
export class LastReadBatch {
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flushMs: number,
    private readonly write: (entries: Iterable<[string, number]>) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  touch(key: string, at: number): void {
    const prev = this.pending.get(key);
    if (prev === undefined || prev < at) this.pending.set(key, at);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        try {
          this.flush();
        } catch (err) {
          this.onError(err);
        }
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** The unflushed last-read time of `key`, if any. */
  get(key: string): number | undefined {
    return this.pending.get(key);
  }

  forget(key: string): void {
    this.pending.delete(key);
  }

  clear(): void {
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const entries = [...this.pending];
    this.pending.clear();
    this.write(entries);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
