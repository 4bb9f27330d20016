/**
 * The Lifeguard suspicion timer ("LHA-Suspicion", memberlist's suspicion.go). A suspicion
 * starts with the long timeout `max` and shrinks towards `min` as independent peers confirm
 * it: after `n` of the `k` wanted confirmations the timeout is
 *
 *   max - (max - min) * log(n + 1) / log(k + 1)      (never below min)
 *
 * measured from when the suspicion started. So a node that only one peer suspects gets a
 * long time to refute, and a node that many suspect is declared dead quickly.
 */
import type { Clock, Timer } from "../clock.js";

/** Remaining time (may be negative) before a suspicion with `n` confirmations expires. */
export function remainingSuspicionTime(
  n: number,
  k: number,
  elapsedMs: number,
  minMs: number,
  maxMs: number,
): number {
  const frac = k <= 0 ? 1 : Math.log(n + 1) / Math.log(k + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  const timeout = Math.max(Math.floor(raw), minMs);
  return timeout - elapsedMs;
}

/**
 * memberlist's base suspicion timeout: `suspicionMult * max(1, log10(max(1, n))) * interval`.
 */
export function suspicionTimeout(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs);
}

export class Suspicion {
  private n = 0;
  private readonly start: number;
  private timer: Timer;
  private readonly confirmations = new Set<string>();
  private fired = false;

  /**
   * Starts the timer at `maxMs`; `from` (the first accuser) does not count as a confirmation.
   * `onTimeout` receives the number of confirmations seen.
   */
  constructor(
    private readonly clock: Clock,
    from: string,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.confirmations.add(from);
    this.start = clock.now();
    this.timer = clock.setTimeout(() => this.fire(), maxMs);
  }

  get confirmationCount(): number {
    return this.n;
  }

  /**
   * Registers that `from` also suspects the node. Returns true if this was new information
   * (worth re-gossiping), false for a duplicate or once `k` confirmations are in.
   */
  confirm(from: string): boolean {
    if (this.fired || this.n >= this.k) return false;
    if (this.confirmations.has(from)) return false;
    this.confirmations.add(from);
    this.n++;
    const remaining = remainingSuspicionTime(
      this.n,
      this.k,
      this.clock.now() - this.start,
      this.minMs,
      this.maxMs,
    );
    this.timer.cancel();
    if (remaining > 0) {
      this.timer = this.clock.setTimeout(() => this.fire(), remaining);
    } else {
      // Fire on a fresh turn, as memberlist does, never re-entrantly from a message handler.
      this.timer = this.clock.setTimeout(() => this.fire(), 0);
    }
    return true;
  }

  cancel(): void {
    this.fired = true;
    this.timer.cancel();
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.onTimeout(this.n);
  }
}
