/**
 * Time, injected. Every wait in this package (backoff, send deadlines, close grace) goes
 * through a {@link Clock}, so tests and simulations can drive time by hand.
 */

/** An opaque timer handle, as returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds on a monotonic-enough scale (only differences are used). */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. Timers must not keep the process alive. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and `setTimeout`, with every timer `.unref()`ed. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
