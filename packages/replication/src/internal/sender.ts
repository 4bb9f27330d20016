/**
 * Every send to a peer, direct or from the retry queue, goes through here: one concurrency
 * limit for both, a deadline per send, and one switch that aborts everything on close.
 */
import type { Clock } from "../clock.js";
import { ReplicationError } from "../errors.js";
import type { ReplicateOp, ReplicationTransport } from "../transport.js";
import { raceAbort } from "./abort.js";
import { Limiter } from "./limiter.js";

export class Sender {
  readonly #transport: ReplicationTransport;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #limiter: Limiter;
  readonly #active = new Set<AbortController>();
  readonly #idle: Array<() => void> = [];
  #closed = false;

  constructor(transport: ReplicationTransport, clock: Clock, concurrency: number, timeoutMs: number) {
    this.#transport = transport;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#limiter = new Limiter(concurrency);
  }

  /** Sends in flight now. */
  get active(): number {
    return this.#limiter.active;
  }

  /** Sends waiting for a free slot. */
  get waiting(): number {
    return this.#limiter.waiting;
  }

  /**
   * Sends `op` to `peer` when a slot is free. Rejects with `CLOSED` (without sending) once
   * closing, `TIMEOUT` after the deadline, or whatever the transport rejects with.
   */
  send(peer: string, op: ReplicateOp, signal?: AbortSignal): Promise<void> {
    return this.#limiter.run(async () => {
      if (this.#closed) throw new ReplicationError("CLOSED", "replication is closing");
      const controller = new AbortController();
      const combined =
        signal === undefined ? controller.signal : AbortSignal.any([controller.signal, signal]);
      const timer = this.#clock.setTimeout(
        () =>
          controller.abort(
            new ReplicationError("TIMEOUT", `send to ${peer} took over ${this.#timeoutMs} ms`),
          ),
        this.#timeoutMs,
      );
      this.#active.add(controller);
      try {
        await raceAbort(
          Promise.resolve().then(() => this.#transport.replicate(peer, op, combined)),
          combined,
        );
      } finally {
        this.#clock.clearTimeout(timer);
        this.#active.delete(controller);
        if (this.#active.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
      }
    });
  }

  /** From now on sends that have not started are refused with `CLOSED`. */
  close(): void {
    this.#closed = true;
  }

  /** Aborts every send in flight with `reason`. */
  abortAll(reason: ReplicationError): void {
    for (const controller of this.#active) controller.abort(reason);
  }

  /** Resolves when no send is in flight. */
  idle(): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
