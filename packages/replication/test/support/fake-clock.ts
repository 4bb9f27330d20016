import type { Clock, TimerHandle } from "../../src/clock.js";

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Lets promise chains and short I/O run: a few turns of the event loop. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock that only moves when told to; timers fire in time order as it advances. */
export class FakeClock implements Clock {
  #now = 0;
  #order = 0;
  readonly #timers = new Map<number, Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.#order;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), order: id, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers armed now. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer fires, or undefined. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const timer of this.#timers.values()) if (next === undefined || timer.at < next) next = timer.at;
    return next;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let due: [number, Timer] | undefined;
      for (const entry of this.#timers) {
        const [, timer] = entry;
        if (timer.at > target) continue;
        if (
          due === undefined ||
          timer.at < due[1].at ||
          (timer.at === due[1].at && timer.order < due[1].order)
        ) {
          due = entry;
        }
      }
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}
