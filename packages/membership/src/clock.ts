/** A pending timer returned by {@link Clock.setTimeout}. */
export interface Timer {
  /** Stops the timer; calling it after the timer fired, or twice, is harmless. */
  cancel(): void;
}

/**
 * Time as the protocol sees it. Every protocol decision that depends on time goes through
 * this interface, so a simulation can substitute a virtual clock ({@link VirtualClock}).
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  /** Runs `fn` once after `delayMs` milliseconds (0 or more). */
  setTimeout(fn: () => void, delayMs: number): Timer;
}

/**
 * The real clock: `performance.now()` and `setTimeout`. Its timers are `unref()`ed, so a
 * membership instance never keeps a process alive by its timers alone (its sockets do).
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, delayMs) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
