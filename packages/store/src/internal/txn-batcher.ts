/**
 * Group commit: index writes queued in one turn of the event loop run in one SQLite transaction
 * (on setImmediate), which is several times cheaper than a transaction each (a WAL commit writes
 * every page it touched). Each caller's promise settles after the transaction has committed, so
 * "awaited" still means "in the index". If the batch fails, each operation is retried in a
 * transaction of its own so the failure lands on the operation that caused it.
 */
export class TxnBatcher {
  private ops: { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  /** `transaction(fn)` must run `fn` inside one transaction and return its result. */
  constructor(private readonly transaction: <T>(fn: () => T) => T) {}

  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ops.push({ run: op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now (also called before close). */
  flush(): void {
    this.scheduled = false;
    const ops = this.ops;
    this.ops = [];
    if (ops.length === 0) return;
    let results: unknown[];
    try {
      results = this.transaction(() => ops.map((op) => op.run()));
    } catch {
      for (const op of ops) {
        try {
          op.resolve(this.transaction(op.run));
        } catch (err) {
          op.reject(err);
        }
      }
      return;
    }
    ops.forEach((op, i) => {
      op.resolve(results[i]);
    });
  }

  get queued(): number {
    return this.ops.length;
  }
}
