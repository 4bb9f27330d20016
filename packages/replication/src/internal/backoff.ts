/**
 * Exponential backoff with "equal jitter": the n-th consecutive failure waits
 * `base = min(max, initial * 2^(n-1))`, scaled by a random factor in `[1 - jitter, 1)`, so
 * peers recovering together are not retried in lockstep and the wait never exceeds `max`.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** In [0, 1]: the fraction of the wait that is random. */
  readonly jitter: number;
}

export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, failures - 1);
  // 2^exponent overflows to Infinity for large exponents; min() keeps it at the cap.
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return base * (1 - policy.jitter * r);
}
