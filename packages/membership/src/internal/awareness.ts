/**
 * Lifeguard local health awareness ("LHA"). The score runs from 0 (healthy) to `max - 1`.
 * Signs that *we* are the slow one raise it: probes that fail while the indirect probers'
 * nacks do not come back, having to refute a suspicion about ourselves. Successful probes
 * lower it. While it is above 0 our probe interval and probe deadline are stretched by
 * `score + 1`, so a node that is starved of CPU or network accuses others less readily.
 */
export class Awareness {
  private value = 0;

  /** `max` is `awarenessMaxMultiplier`; `enabled: false` pins the score at 0. */
  constructor(
    private readonly max: number,
    private readonly enabled = true,
  ) {}

  get score(): number {
    return this.value;
  }

  /** Adds `delta` and clamps to `[0, max - 1]`. Returns the new score. */
  apply(delta: number): number {
    if (!this.enabled) return 0;
    this.value = Math.min(Math.max(this.value + delta, 0), this.max - 1);
    return this.value;
  }

  /** Scales a duration by the current health: `timeoutMs * (score + 1)`. */
  scale(timeoutMs: number): number {
    return timeoutMs * (this.value + 1);
  }
}
