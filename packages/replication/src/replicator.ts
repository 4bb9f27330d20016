/**
 * The replicator: after the node stores or deletes something, it sends the op to the peers
 * placement names, in the background, and hands every failed send to the durable retry
 * queue, which keeps trying until the peer takes it.
 *
 * Ordering per peer: while a peer has anything queued, new ops for it go behind that backlog
 * instead of being sent directly; a delete waits for every earlier op to that peer and every
 * later op waits for it. Stores to one peer may be in flight together (distinct keys commute).
 */
import { type Clock, systemClock } from "./clock.js";
import { ReplicationError, toReplicationError } from "./errors.js";
import { OrderedLane } from "./internal/ordered-lane.js";
import { Sender } from "./internal/sender.js";
import { type Logger, silentLogger } from "./logger.js";
import type { Placement } from "./placement.js";
import {
  type DropHandler,
  RetryQueue,
  type RetryQueueSettings,
  type RetryQueueStats,
} from "./retry-queue.js";
import type { DeleteOp, ReplicateOp, ReplicationTransport, StoreOp } from "./transport.js";

/** Default number of sends in flight at once, direct and queued together. */
export const DEFAULT_CONCURRENCY = 8;
/** Default number of direct sends allowed to wait for a slot before new ops go to the queue. */
export const DEFAULT_MAX_PENDING_SENDS = 1_000;
/** Default deadline of one send. */
export const DEFAULT_SEND_TIMEOUT_MS = 60_000;
/** Default grace `close()` gives in-flight sends. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

export interface ReplicatorOptions {
  /** Who gets copies (fixed or elastic). */
  readonly placement: Placement;
  /** How ops reach peers (the node's gRPC client + local store). */
  readonly transport: ReplicationTransport;
  /** The retry queue's directory and tunables (see {@link RetryQueueSettings} for defaults). */
  readonly queue: RetryQueueSettings;
  /** Sends in flight at once, direct and queued together: an integer >= 1. Default 8. */
  readonly concurrency?: number;
  /**
   * Direct sends that may wait for a free slot; past this, new ops go straight to the queue
   * (bounding memory under a burst). Default 1000.
   */
  readonly maxPendingSends?: number;
  /** Deadline of one send, in ms; a send past it fails with `TIMEOUT` (and is retried). Default 60000. */
  readonly sendTimeoutMs?: number;
  /** Grace `close()` gives in-flight sends before aborting them into the queue, in ms. Default 10000. */
  readonly closeTimeoutMs?: number;
  /** Time source (send deadlines, backoff, close grace). Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Uniform random numbers in [0, 1) for backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Called for each op dropped undelivered (queue bound, `OBSOLETE`), direct or queued. */
  readonly onDrop?: DropHandler;
}

/** What happened to an op for one peer, as far as the replicator could tell. */
export type ReplicaOutcome =
  /** The peer applied it. */
  | "delivered"
  /** It is in the retry queue (on disk, unless `error` is an `IO` error). */
  | "queued"
  /** It was dropped: `OBSOLETE` (an artifact is gone locally). */
  | "dropped"
  /** Not taken: the replicator is closed (`CLOSED`). */
  | "rejected";

export interface ReplicaResult {
  readonly peer: string;
  readonly outcome: ReplicaOutcome;
  /** Why it was not delivered (the send failure for `queued`). */
  readonly error?: ReplicationError;
}

export interface ReplicatorStats {
  /** Direct sends attempted. */
  readonly sent: number;
  /** Direct sends the peer applied. */
  readonly delivered: number;
  /** Ops handed to the queue: failed sends, and ops behind a backlog or over `maxPendingSends`. */
  readonly queued: number;
  /** Direct sends dropped as `OBSOLETE`. */
  readonly dropped: number;
  /** Ops refused because the replicator was closed. */
  readonly rejected: number;
  /** Sends in flight now (direct and queued). */
  readonly inflight: number;
  /** Sends waiting for a slot now. */
  readonly waiting: number;
  /** The retry queue's own counters. */
  readonly queue: RetryQueueStats;
}

/** A store as the node has it: a `StoreRequest` fits (bodies are not kept). */
export type StoreInput = Omit<StoreOp, "kind">;
/** A delete as the node has it: a `DeleteRequest` fits. */
export type DeleteInput = Omit<DeleteOp, "kind">;

export class Replicator implements AsyncDisposable {
  /** The retry queue (for metrics, `kick`, `forget`). */
  readonly queue: RetryQueue;
  readonly #placement: Placement;
  readonly #sender: Sender;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onDrop: DropHandler | undefined;
  readonly #maxPendingSends: number;
  readonly #closeTimeoutMs: number;
  readonly #lanes = new Map<string, OrderedLane>();
  readonly #dispatches = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  #sent = 0;
  #delivered = 0;
  #queued = 0;
  #dropped = 0;
  #rejected = 0;

  private constructor(options: ReplicatorOptions, sender: Sender, queue: RetryQueue, clock: Clock) {
    this.#placement = options.placement;
    this.#sender = sender;
    this.queue = queue;
    this.#clock = clock;
    this.#logger = options.logger ?? silentLogger;
    this.#onDrop = options.onDrop;
    this.#maxPendingSends = options.maxPendingSends ?? DEFAULT_MAX_PENDING_SENDS;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  /**
   * Opens the retry queue (delivering what it recovered) and returns a running replicator.
   *
   * @throws {ReplicationError} `CORRUPT` or `IO` from the queue; `RangeError` for options out of range.
   */
  static async open(options: ReplicatorOptions): Promise<Replicator> {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    }
    if (!(sendTimeoutMs > 0)) throw new RangeError(`sendTimeoutMs must be > 0, got ${sendTimeoutMs}`);
    for (const [name, value] of [
      ["maxPendingSends", options.maxPendingSends],
      ["closeTimeoutMs", options.closeTimeoutMs],
    ] as const) {
      if (value !== undefined && !(value >= 0)) throw new RangeError(`${name} must be >= 0, got ${value}`);
    }
    const clock = options.clock ?? systemClock;
    const sender = new Sender(options.transport, clock, concurrency, sendTimeoutMs);
    const queue = await RetryQueue.open({
      ...options.queue,
      deliver: (peer, op, signal) => sender.send(peer, op, signal),
      clock,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.onDrop === undefined ? {} : { onDrop: options.onDrop }),
    });
    return new Replicator(options, sender, queue, clock);
  }

  /**
   * Replicates a store this node has just made to its replica peers, in the background: call
   * it after answering the client, without awaiting. The promise never rejects; it resolves,
   * per peer, once the op was delivered, queued or dropped. Only references are kept (the
   * request's bodies are not).
   */
  onStore(request: StoreInput): Promise<ReplicaResult[]> {
    const op: StoreOp = {
      kind: "store",
      os: request.os,
      arch: request.arch,
      hash: Uint8Array.from(request.hash),
      hostname: request.hostname,
      artifacts: request.artifacts.map((a) => ({ package: a.package, target: a.target, file: a.file })),
    };
    let peers: string[];
    try {
      peers = this.#placement.replicaTargets(op.hash);
    } catch (err) {
      this.#logger.warn({ err }, "replication: no placement for this store");
      return Promise.resolve([]);
    }
    return this.#replicate(peers, op);
  }

  /**
   * Forwards a delete this node has just applied to every other member, in the background,
   * with the same promise semantics as {@link onStore}. A delete that names no target and is
   * not `everything` deletes nothing, so it is not forwarded (resolves `[]`): on the wire a
   * delete `Replicate` with no artifacts is how `everything` travels.
   */
  onDelete(request: DeleteInput): Promise<ReplicaResult[]> {
    if (!request.everything && request.artifacts.length === 0) return Promise.resolve([]);
    const op: DeleteOp = {
      kind: "delete",
      os: request.os,
      arch: request.arch,
      everything: request.everything,
      artifacts: request.artifacts.map((a) => ({ package: a.package, target: a.target })),
    };
    return this.#replicate(this.#placement.deleteTargets(), op);
  }

  /** Entries queued for `peer`, or in total. */
  depth(peer?: string): number {
    return this.queue.depth(peer);
  }

  /** Retry `peer` (or every peer) now: call it when membership sees the peer alive again. */
  kick(peer?: string): void {
    this.queue.kick(peer);
  }

  stats(): ReplicatorStats {
    return {
      sent: this.#sent,
      delivered: this.#delivered,
      queued: this.#queued,
      dropped: this.#dropped,
      rejected: this.#rejected,
      inflight: this.#sender.active,
      waiting: this.#sender.waiting,
      queue: this.queue.stats(),
    };
  }

  /**
   * Stops taking ops (later ones resolve `rejected`), lets in-flight sends finish for up to
   * `timeoutMs` (default `closeTimeoutMs`), moves ops that were waiting into the queue, aborts
   * what is still in flight (queueing it), then closes the queue with everything on disk.
   * Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? this.#closeTimeoutMs);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(timeoutMs: number): Promise<void> {
    this.queue.pause();
    this.#sender.close();
    const settled = Promise.allSettled([...this.#dispatches]).then(() => this.#sender.idle());
    let timer: unknown;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = this.#clock.setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    this.#clock.clearTimeout(timer);
    if (timedOut) {
      this.#logger.warn({ inflight: this.#sender.active }, "replication: close grace over; aborting sends");
      this.#sender.abortAll(new ReplicationError("CLOSED", "replication closed before the send finished"));
      await settled;
    }
    await this.queue.close({ timeoutMs: 0 });
  }

  #replicate(peers: string[], op: ReplicateOp): Promise<ReplicaResult[]> {
    if (this.#closing) {
      this.#rejected += peers.length;
      const error = new ReplicationError("CLOSED", "the replicator is closed");
      return Promise.resolve(peers.map((peer) => ({ peer, outcome: "rejected", error })));
    }
    const all = Promise.all(peers.map((peer) => this.#dispatch(peer, op)));
    this.#dispatches.add(all);
    void all.finally(() => this.#dispatches.delete(all));
    return all;
  }

  async #dispatch(peer: string, op: ReplicateOp): Promise<ReplicaResult> {
    let lane = this.#lanes.get(peer);
    if (lane === undefined) {
      lane = new OrderedLane();
      this.#lanes.set(peer, lane);
    }
    const release = await lane.acquire(op.kind === "delete" ? "exclusive" : "shared");
    let result: ReplicaResult;
    let written: Promise<void> | undefined;
    try {
      const behind =
        this.queue.depth(peer) > 0 ||
        this.#closing !== undefined ||
        this.#sender.waiting >= this.#maxPendingSends;
      let failure: ReplicationError | undefined;
      if (!behind) {
        this.#sent += 1;
        try {
          await this.#sender.send(peer, op);
          this.#delivered += 1;
          return { peer, outcome: "delivered" };
        } catch (err) {
          failure = toReplicationError(err);
        }
        if (failure.code === "OBSOLETE") {
          this.#dropped += 1;
          this.#reportDrop(peer, op, failure);
          return { peer, outcome: "dropped", error: failure };
        }
        this.#logger.debug({ peer, kind: op.kind, code: failure.code }, "replication send failed; queued");
      }
      // Still under the lane: the op takes its place in the peer's FIFO before anything later.
      // A CLOSED refusal of the sender is not a peer failure, so it starts no backoff.
      written = this.queue.enqueue(peer, op, failure?.code === "CLOSED" ? undefined : failure);
      this.#queued += 1;
      result =
        failure === undefined ? { peer, outcome: "queued" } : { peer, outcome: "queued", error: failure };
    } finally {
      release();
      if (lane.idle) this.#lanes.delete(peer);
    }
    try {
      await written;
    } catch (err) {
      const error = toReplicationError(err);
      if (error.code === "CLOSED") {
        this.#queued -= 1;
        this.#rejected += 1;
        return { peer, outcome: "rejected", error };
      }
      this.#logger.warn({ peer, err: error }, "replication: queued op not written to disk");
      return { peer, outcome: "queued", error };
    }
    return result;
  }

  #reportDrop(peer: string, op: ReplicateOp, reason: ReplicationError): void {
    this.#logger.warn({ peer, kind: op.kind, code: reason.code }, reason.message);
    try {
      this.#onDrop?.(peer, op, reason);
    } catch (err) {
      this.#logger.error({ err }, "replication: onDrop threw");
    }
  }
}
