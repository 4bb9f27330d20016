import type { Clock, Timer } from "./clock.js";

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A virtual clock with a timer queue, for deterministic simulation. Time moves only when
 * `advance`/`runUntil` is called; timers due at the same instant run in the order they were
 * set. Nothing here touches real time.
 */
export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private live = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Timers set and not yet run or cancelled. */
  get pending(): number {
    return this.live;
  }

  setTimeout(fn: () => void, delayMs: number): Timer {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const entry: Entry = { at: this.time + delay, seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    this.live++;
    return {
      cancel: () => {
        if (!entry.cancelled) {
          entry.cancelled = true;
          this.live--;
        }
      },
    };
  }

  /** Runs every timer due up to `now + ms`, in order, then sets the time to `now + ms`. */
  advance(ms: number): void {
    const until = this.time + Math.max(0, ms);
    this.runTo(until);
    this.time = until;
  }

  /**
   * Advances until `predicate()` holds (checked every `checkEveryMs` of virtual time) or
   * `timeoutMs` has passed. Returns whether the predicate held.
   */
  runUntil(predicate: () => boolean, timeoutMs: number, checkEveryMs = 100): boolean {
    const deadline = this.time + timeoutMs;
    if (predicate()) return true;
    while (this.time < deadline) {
      this.advance(Math.min(checkEveryMs, deadline - this.time));
      if (predicate()) return true;
    }
    return false;
  }

  private runTo(until: number): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > until) return;
      this.pop();
      if (top.cancelled) continue;
      top.cancelled = true;
      this.live--;
      this.time = top.at;
      top.fn();
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      const t = h[i]!;
      h[i] = h[p]!;
      h[p] = t;
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      const t = h[i]!;
      h[i] = h[m]!;
      h[m] = t;
      i = m;
    }
  }
}
