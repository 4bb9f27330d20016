/**
 * Per-node health with exponential backoff. A node whose call failed is skipped until its
 * backoff has passed, then tried again; each further failure doubles the backoff (up to a cap),
 * and one success forgets them all. This replaces the original client's rule ("after 5 errors
 * the cache is off for the rest of the run") with one that heals.
 */

/** Initial backoff after a node's first failure. */
export const DEFAULT_BACKOFF_MS = 1_000;
/** Longest backoff. */
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** Relative jitter applied to each backoff, so clients do not retry a recovering node in step. */
export const BACKOFF_JITTER = 0.2;

export interface NodeHealthOptions {
  /** Backoff after the first failure, in ms. Default: {@link DEFAULT_BACKOFF_MS}. */
  backoffMs?: number;
  /** Largest backoff, in ms. Default: {@link DEFAULT_MAX_BACKOFF_MS}. */
  maxBackoffMs?: number;
  /** Clock, in ms. Default: `Date.now`. */
  now?: () => number;
  /** Uniform random numbers in [0, 1) for jitter. Default: `Math.random`. */
  random?: () => number;
}

interface Entry {
  failures: number;
  retryAt: number;
}

export class NodeHealth {
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: NodeHealthOptions = {}) {
    this.backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.maxBackoffMs = Math.max(this.backoffMs, opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  /** Whether requests may go to `address` now (it has not failed, or its backoff has passed). */
  isAvailable(address: string): boolean {
    const e = this.#entries.get(address);
    return e === undefined || this.#now() >= e.retryAt;
  }

  /** Consecutive failures of `address` since its last success. */
  failures(address: string): number {
    return this.#entries.get(address)?.failures ?? 0;
  }

  /** Milliseconds until `address` may be tried again (0 when it may be tried now). */
  retryInMs(address: string): number {
    const e = this.#entries.get(address);
    return e === undefined ? 0 : Math.max(0, e.retryAt - this.#now());
  }

  /** Records a failed call; returns the backoff now applied, in ms. */
  recordFailure(address: string): number {
    const failures = (this.#entries.get(address)?.failures ?? 0) + 1;
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(failures - 1, 30));
    const jitter = 1 + BACKOFF_JITTER * (2 * this.#random() - 1);
    const backoff = Math.round(Math.min(this.maxBackoffMs, base * jitter));
    this.#entries.set(address, { failures, retryAt: this.#now() + backoff });
    return backoff;
  }

  /** Records a successful call: the node is healthy again. */
  recordSuccess(address: string): void {
    this.#entries.delete(address);
  }

  /** Forgets an address that has left the topology. */
  forget(address: string): void {
    this.#entries.delete(address);
  }
}
