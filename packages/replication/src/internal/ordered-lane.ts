/**
 * A FIFO shared/exclusive lock: the per-peer ordering rule of direct sends. Stores take it
 * shared (stores of distinct keys commute, so several may be in flight to one peer), deletes
 * exclusive (a delete waits for every earlier op to that peer, and every later op waits for
 * it), and grants follow arrival order, so a delete is never overtaken.
 */
export type LaneMode = "shared" | "exclusive";

interface Waiter {
  readonly mode: LaneMode;
  readonly grant: (release: () => void) => void;
}

export class OrderedLane {
  #shared = 0;
  #exclusive = false;
  readonly #waiting: Waiter[] = [];

  /** Whether nothing holds or waits for the lane. */
  get idle(): boolean {
    return this.#shared === 0 && !this.#exclusive && this.#waiting.length === 0;
  }

  /** Resolves with a release function once the lane is granted in `mode`. */
  acquire(mode: LaneMode): Promise<() => void> {
    return new Promise((grant) => {
      this.#waiting.push({ mode, grant });
      this.#grant();
    });
  }

  #grant(): void {
    while (this.#waiting.length > 0 && !this.#exclusive) {
      const head = this.#waiting[0]!;
      if (head.mode === "exclusive" && this.#shared > 0) return;
      this.#waiting.shift();
      if (head.mode === "exclusive") this.#exclusive = true;
      else this.#shared += 1;
      head.grant(this.#releaser(head.mode));
    }
  }

  #releaser(mode: LaneMode): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mode === "exclusive") this.#exclusive = false;
      else this.#shared -= 1;
      this.#grant();
    };
  }
}
