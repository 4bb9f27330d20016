/**
 * The durable, bounded retry queue (a hint queue): ops that could not be delivered to a peer
 * wait here, per peer and in FIFO order, and are retried with exponential backoff and jitter
 * until the peer takes them, the op turns out obsolete, or the bound pushes them out.
 *
 * Persistence: an append-only journal in `dir` (see `internal/journal.ts`) of "add" records
 * (id, peer, op references) and "ack" records (id), group-committed and fsynced per batch;
 * rewritten with only the live entries once the dead records outweigh the live ones. A torn
 * trailing record after a crash is dropped on open. Entries delivered but not yet acked on
 * disk at a crash are delivered again: delivery is at-least-once.
 *
 * One process per directory: nothing locks it.
 */
import { type Clock, systemClock } from "./clock.js";
import { ReplicationError, toReplicationError } from "./errors.js";
import { raceAbort } from "./internal/abort.js";
import { type BackoffPolicy, backoffDelay } from "./internal/backoff.js";
import { frameRecord, Journal } from "./internal/journal.js";
import { decodeOp, encodeOp } from "./internal/op-codec.js";
import { type Logger, silentLogger } from "./logger.js";
import type { ReplicateOp } from "./transport.js";

/** Default wait after a peer's first failure. */
export const DEFAULT_INITIAL_BACKOFF_MS = 500;
/** Default cap on the wait between two attempts to one peer. */
export const DEFAULT_MAX_BACKOFF_MS = 60_000;
/** Default random fraction of each wait. */
export const DEFAULT_BACKOFF_JITTER = 0.5;
/** Default bound on queued entries, all peers together. */
export const DEFAULT_MAX_QUEUE_ENTRIES = 100_000;
/** Default bound on the journal bytes of queued entries, all peers together. */
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** Default garbage (dead journal bytes) below which the journal is never compacted. */
export const DEFAULT_COMPACT_MIN_BYTES = 1024 * 1024;
/** Default grace `close()` gives in-flight deliveries before it aborts them. */
export const DEFAULT_QUEUE_CLOSE_TIMEOUT_MS = 5_000;

const HEADER_BYTES = 8;

/** The queue's tunables (what an app configures). */
export interface RetryQueueSettings {
  /** Directory of the journal; created if missing. One process per directory. */
  readonly dir: string;
  /** Wait after a peer's first consecutive failure, in ms. Default 500. */
  readonly initialBackoffMs?: number;
  /** Longest wait between attempts to one peer, in ms (the doubling stops here). Default 60000. */
  readonly maxBackoffMs?: number;
  /** Fraction of each wait that is random, in [0, 1]: waits fall in `[(1-jitter)·w, w]`. Default 0.5. */
  readonly jitter?: number;
  /** Most entries queued, all peers together; when full the oldest is dropped. Default 100000. */
  readonly maxEntries?: number;
  /** Most journal bytes of queued entries, all peers together; likewise. Default 64 MiB. */
  readonly maxBytes?: number;
  /** fsync each written batch that adds entries (and compactions). Default true. */
  readonly fsync?: boolean;
  /** Compact only once dead records take at least this many bytes (and outweigh live ones). Default 1 MiB. */
  readonly compactMinBytes?: number;
}

/** Sends one queued op; resolves when the peer applied it, rejects (ideally with a `ReplicationError`) otherwise. */
export type DeliverFn = (peer: string, op: ReplicateOp, signal: AbortSignal) => Promise<void>;

/** Why an entry left the queue undelivered: `QUEUE_FULL` (pushed out by the bound) or `OBSOLETE`. */
export type DropHandler = (peer: string, op: ReplicateOp, reason: ReplicationError) => void;

export interface RetryQueueOptions extends RetryQueueSettings {
  /** How entries are sent. */
  readonly deliver: DeliverFn;
  /** Time source for backoff and the close grace. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Uniform random numbers in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Called for each entry dropped undelivered (bound or obsolete). */
  readonly onDrop?: DropHandler;
}

export interface RetryQueueStats {
  /** Entries queued now (all peers). */
  readonly queued: number;
  /** Journal bytes of the entries queued now. */
  readonly queuedBytes: number;
  /** Peers with queued entries. */
  readonly peers: number;
  /** Entries ever added (this process), recovered ones excluded. */
  readonly enqueued: number;
  /** Entries found in the journal at open. */
  readonly recovered: number;
  /** Entries delivered from the queue. */
  readonly delivered: number;
  /** Delivery attempts made from the queue. */
  readonly attempts: number;
  /** Attempts that failed and were rescheduled with backoff. */
  readonly retries: number;
  /** Entries dropped undelivered: `droppedFull + droppedObsolete + droppedForgotten`. */
  readonly dropped: number;
  /** Entries pushed out by `maxEntries` / `maxBytes`. */
  readonly droppedFull: number;
  /** Entries dropped because the transport said `OBSOLETE`. */
  readonly droppedObsolete: number;
  /** Entries removed with {@link RetryQueue.forget}. */
  readonly droppedForgotten: number;
  /** Journal compactions done. */
  readonly compactions: number;
  /** Bytes of a torn or corrupt journal tail dropped at open. */
  readonly discardedBytes: number;
}

interface Entry {
  readonly seq: number;
  readonly peer: string;
  readonly op: ReplicateOp;
  /** Framed size of its add record. */
  readonly bytes: number;
}

interface PeerState {
  /** Entries in FIFO (= id) order. */
  readonly fifo: Map<number, Entry>;
  /** Consecutive failed attempts. */
  failures: number;
  /** Clock time before which no attempt is made. */
  nextAttemptAt: number;
  timer: unknown;
  inflight: { readonly entry: Entry; readonly controller: AbortController } | undefined;
}

type AddRecord = { t: "a"; s: number; p: string; o: unknown };
type AckRecord = { t: "k"; s: number };

export class RetryQueue implements AsyncDisposable {
  readonly #journal: Journal;
  readonly #deliver: DeliverFn;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #onDrop: DropHandler | undefined;
  readonly #backoff: BackoffPolicy;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #compactMinBytes: number;

  /** Every entry, in id order; and the same split by kind (to drop the oldest store first). */
  readonly #all = new Map<number, Entry>();
  readonly #stores = new Map<number, Entry>();
  readonly #deletes = new Map<number, Entry>();
  readonly #peers = new Map<string, PeerState>();
  readonly #inflight = new Set<Promise<void>>();
  #nextSeq: number;
  #bytes = 0;
  #garbage: number;
  #compacting = false;
  #paused = false;
  #closed: Promise<void> | undefined;
  /** Set once the journal is closed: acks are no longer written. */
  #stopped = false;

  #enqueued = 0;
  readonly #recovered: number;
  #delivered = 0;
  #attempts = 0;
  #retries = 0;
  #droppedFull = 0;
  #droppedObsolete = 0;
  #droppedForgotten = 0;
  #compactions = 0;
  readonly #discardedBytes: number;

  private constructor(
    options: RetryQueueOptions,
    journal: Journal,
    entries: Entry[],
    nextSeq: number,
    discardedBytes: number,
  ) {
    this.#journal = journal;
    this.#deliver = options.deliver;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
    this.#onDrop = options.onDrop;
    this.#backoff = {
      initialMs: options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      maxMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      jitter: options.jitter ?? DEFAULT_BACKOFF_JITTER,
    };
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_QUEUE_ENTRIES;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.#compactMinBytes = options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES;
    this.#nextSeq = nextSeq;
    this.#discardedBytes = discardedBytes;
    for (const entry of entries) this.#insert(entry);
    this.#recovered = entries.length;
    this.#garbage = Math.max(0, journal.bytes - HEADER_BYTES - this.#bytes);
  }

  /**
   * Opens (or creates) the queue in `options.dir`, recovers what the journal holds, and starts
   * delivering it at once. Entries beyond the current bound are dropped (oldest first).
   *
   * @throws {ReplicationError} `CORRUPT` when the directory holds a foreign `journal` file,
   *   `IO` when it cannot be read or written; `RangeError` for an option out of range.
   */
  static async open(options: RetryQueueOptions): Promise<RetryQueue> {
    validateSettings(options);
    const opened = await Journal.open(options.dir, { fsync: options.fsync ?? true });
    const live = new Map<number, Entry>();
    let maxSeq = -1;
    let unreadable = opened.unreadable;
    for (const { value, bytes } of opened.records) {
      const record = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
      const seq = record.s;
      if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) {
        unreadable += 1;
        continue;
      }
      maxSeq = Math.max(maxSeq, seq);
      if (record.t === "k") {
        live.delete(seq);
      } else if (record.t === "a" && typeof record.p === "string") {
        const op = decodeOp(record.o);
        if (op === undefined) unreadable += 1;
        else if (!live.has(seq)) live.set(seq, { seq, peer: record.p, op, bytes });
      } else {
        unreadable += 1;
      }
    }
    const entries = [...live.values()].sort((a, b) => a.seq - b.seq);
    const queue = new RetryQueue(options, opened.journal, entries, maxSeq + 1, opened.discardedBytes);
    const logger = options.logger ?? silentLogger;
    if (opened.discardedBytes > 0 || unreadable > 0 || entries.length > 0) {
      logger.info(
        { recovered: entries.length, discardedBytes: opened.discardedBytes, unreadable },
        "replication queue recovered",
      );
    }
    queue.#enforceBound(0, 0);
    queue.#maybeCompact();
    for (const peer of queue.#peers.keys()) queue.#pump(peer);
    return queue;
  }

  /**
   * Queues `op` for `peer` behind whatever is queued for it. Pass `failure` when the op has
   * just failed to send: a peer that was not backing off starts to (its first retry waits
   * `initialBackoffMs`); without it the entry is attempted as soon as the peer's turn comes.
   *
   * The entry is in the queue (and counted by {@link depth}) when this returns; the promise
   * resolves once it is on disk. It rejects with `IO` when the journal cannot be written (the
   * entry stays queued in memory) or `CLOSED`.
   */
  enqueue(peer: string, op: ReplicateOp, failure?: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new ReplicationError("CLOSED", "the retry queue is closed"));
    const seq = this.#nextSeq++;
    const frame = frameRecord(addRecord(seq, peer, op));
    const entry: Entry = { seq, peer, op, bytes: frame.length };
    this.#enqueued += 1;
    if (!this.#enforceBound(1, entry.bytes)) {
      this.#droppedFull += 1;
      this.#reportDrop(
        entry,
        new ReplicationError("QUEUE_FULL", "the op alone exceeds the queue's maxBytes"),
      );
      return Promise.resolve();
    }
    this.#insert(entry);
    const state = this.#peers.get(peer)!;
    if (failure !== undefined && state.failures === 0 && state.inflight === undefined) {
      this.#recordFailure(state);
    }
    const written = this.#journal.append(frame, true);
    this.#pump(peer);
    return written;
  }

  /** Entries queued for `peer`, or for all peers when omitted. In-flight entries count. */
  depth(peer?: string): number {
    if (peer === undefined) return this.#all.size;
    return this.#peers.get(peer)?.fifo.size ?? 0;
  }

  /** Entries queued per peer (peers with none are absent). */
  depths(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [peer, state] of this.#peers) if (state.fifo.size > 0) out.set(peer, state.fifo.size);
    return out;
  }

  stats(): RetryQueueStats {
    return {
      queued: this.#all.size,
      queuedBytes: this.#bytes,
      peers: this.depths().size,
      enqueued: this.#enqueued,
      recovered: this.#recovered,
      delivered: this.#delivered,
      attempts: this.#attempts,
      retries: this.#retries,
      dropped: this.#droppedFull + this.#droppedObsolete + this.#droppedForgotten,
      droppedFull: this.#droppedFull,
      droppedObsolete: this.#droppedObsolete,
      droppedForgotten: this.#droppedForgotten,
      compactions: this.#compactions,
      discardedBytes: this.#discardedBytes,
    };
  }

  /**
   * Retries `peer` now (or every peer when omitted), ignoring its backoff: call it when
   * membership sees the peer come back. The failure count is kept, so a peer that fails again
   * resumes its backoff where it was.
   */
  kick(peer?: string): void {
    if (this.#closed) return;
    const peers = peer === undefined ? [...this.#peers.keys()] : [peer];
    for (const name of peers) {
      const state = this.#peers.get(name);
      if (state === undefined) continue;
      state.nextAttemptAt = Number.NEGATIVE_INFINITY;
      this.#clearTimer(state);
      this.#pump(name);
    }
  }

  /**
   * Drops everything queued for `peer` (it left the cluster for good), aborting an in-flight
   * attempt. Returns how many entries went.
   */
  forget(peer: string): number {
    const state = this.#peers.get(peer);
    if (state === undefined) return 0;
    state.inflight?.controller.abort(new ReplicationError("CLOSED", `peer ${peer} was forgotten`));
    const entries = [...state.fifo.values()];
    for (const entry of entries) this.#remove(entry);
    this.#droppedForgotten += entries.length;
    this.#clearTimer(state);
    this.#peers.delete(peer);
    if (entries.length > 0)
      this.#logger.info({ peer, dropped: entries.length }, "replication queue forgot peer");
    return entries.length;
  }

  /**
   * Stops starting attempts (in-flight ones finish; entries can still be added). The
   * replicator pauses its queue while it drains on close.
   */
  pause(): void {
    this.#paused = true;
    for (const state of this.#peers.values()) this.#clearTimer(state);
  }

  /** Undoes {@link pause}: due peers are attempted at once, the others when their backoff ends. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const peer of [...this.#peers.keys()]) this.#pump(peer);
  }

  /** Resolves once every journal write requested so far is done. */
  sync(): Promise<void> {
    return this.#journal.sync();
  }

  /**
   * Stops retrying, gives in-flight deliveries up to `timeoutMs` (default 5000) to finish,
   * aborts the rest (they stay queued), writes the journal and closes it. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed ??= this.#close(options.timeoutMs ?? DEFAULT_QUEUE_CLOSE_TIMEOUT_MS);
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(timeoutMs: number): Promise<void> {
    for (const state of this.#peers.values()) this.#clearTimer(state);
    if (this.#inflight.size > 0) {
      let timer: unknown;
      const grace = new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.allSettled([...this.#inflight]), grace]);
      this.#clock.clearTimeout(timer);
      const closed = new ReplicationError("CLOSED", "the retry queue is closing");
      for (const state of this.#peers.values()) state.inflight?.controller.abort(closed);
      await Promise.allSettled([...this.#inflight]);
    }
    this.#stopped = true;
    await this.#journal.close();
  }

  #insert(entry: Entry): void {
    this.#all.set(entry.seq, entry);
    (entry.op.kind === "store" ? this.#stores : this.#deletes).set(entry.seq, entry);
    this.#bytes += entry.bytes;
    let state = this.#peers.get(entry.peer);
    if (state === undefined) {
      state = {
        fifo: new Map(),
        failures: 0,
        nextAttemptAt: Number.NEGATIVE_INFINITY,
        timer: undefined,
        inflight: undefined,
      };
      this.#peers.set(entry.peer, state);
    }
    state.fifo.set(entry.seq, entry);
  }

  /** Takes `entry` out of memory and writes its ack (not waited for: a lost ack means a redelivery). */
  #remove(entry: Entry): void {
    if (!this.#all.delete(entry.seq)) return;
    this.#stores.delete(entry.seq);
    this.#deletes.delete(entry.seq);
    this.#bytes -= entry.bytes;
    this.#peers.get(entry.peer)?.fifo.delete(entry.seq);
    if (this.#stopped) return;
    const frame = frameRecord({ t: "k", s: entry.seq } satisfies AckRecord);
    this.#garbage += entry.bytes + frame.length;
    this.#journal.append(frame, false).catch((err: unknown) => {
      this.#logger.warn({ err }, "replication queue: cannot write an ack");
    });
    this.#maybeCompact();
  }

  /**
   * Drops the oldest entries (stores before deletes, never one in flight) until `entries` more
   * entries of `bytes` more bytes fit. Returns false when they cannot fit even in an empty queue.
   */
  #enforceBound(entries: number, bytes: number): boolean {
    if (entries > this.#maxEntries || bytes > this.#maxBytes) return false;
    while (this.#all.size + entries > this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      const victim = this.#oldest(this.#stores) ?? this.#oldest(this.#deletes);
      if (victim === undefined) break;
      this.#remove(victim);
      this.#droppedFull += 1;
      this.#reportDrop(
        victim,
        new ReplicationError("QUEUE_FULL", "the retry queue is full; dropped its oldest op"),
      );
    }
    return true;
  }

  #oldest(entries: Map<number, Entry>): Entry | undefined {
    for (const entry of entries.values()) {
      if (this.#peers.get(entry.peer)?.inflight?.entry !== entry) return entry;
    }
    return undefined;
  }

  #reportDrop(entry: Entry, reason: ReplicationError): void {
    this.#logger.warn({ peer: entry.peer, kind: entry.op.kind, code: reason.code }, reason.message);
    try {
      this.#onDrop?.(entry.peer, entry.op, reason);
    } catch (err) {
      this.#logger.error({ err }, "replication queue: onDrop threw");
    }
  }

  #recordFailure(state: PeerState): void {
    state.failures += 1;
    state.nextAttemptAt = this.#clock.now() + backoffDelay(state.failures, this.#backoff, this.#random);
  }

  #clearTimer(state: PeerState): void {
    if (state.timer !== undefined) {
      this.#clock.clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  /** Starts the next attempt for `peer` if it is due, or arms its timer. */
  #pump(peer: string): void {
    const state = this.#peers.get(peer);
    if (state === undefined || this.#closed || this.#paused || state.inflight !== undefined) return;
    const head = state.fifo.values().next();
    if (head.done) {
      this.#clearTimer(state);
      this.#peers.delete(peer);
      return;
    }
    const wait = state.nextAttemptAt - this.#clock.now();
    if (wait > 0) {
      if (state.timer === undefined) {
        state.timer = this.#clock.setTimeout(() => {
          state.timer = undefined;
          this.#pump(peer);
        }, wait);
      }
      return;
    }
    this.#clearTimer(state);
    const entry = head.value;
    const controller = new AbortController();
    state.inflight = { entry, controller };
    this.#attempts += 1;
    const attempt = this.#attempt(peer, state, entry, controller.signal);
    this.#inflight.add(attempt);
    void attempt.finally(() => this.#inflight.delete(attempt));
  }

  async #attempt(peer: string, state: PeerState, entry: Entry, signal: AbortSignal): Promise<void> {
    let error: ReplicationError | undefined;
    try {
      await raceAbort(this.#deliver(peer, entry.op, signal), signal);
    } catch (err) {
      error = toReplicationError(err);
    }
    state.inflight = undefined;
    if (!this.#all.has(entry.seq)) return; // forgotten meanwhile
    if (error === undefined) {
      this.#remove(entry);
      this.#delivered += 1;
      state.failures = 0;
      state.nextAttemptAt = Number.NEGATIVE_INFINITY;
    } else if (error.code === "OBSOLETE") {
      this.#remove(entry);
      this.#droppedObsolete += 1;
      this.#reportDrop(entry, error);
    } else if (!this.#closed && !this.#paused) {
      // (A send cut short by our own pause or close is not the peer failing: no backoff.)
      this.#retries += 1;
      this.#recordFailure(state);
      this.#logger.debug(
        {
          peer,
          code: error.code,
          failures: state.failures,
          retryInMs: state.nextAttemptAt - this.#clock.now(),
        },
        "replication retry failed",
      );
    }
    if (this.#peers.get(peer) === state) this.#pump(peer);
  }

  #maybeCompact(): void {
    if (this.#compacting || this.#closed) return;
    if (this.#garbage < this.#compactMinBytes || this.#garbage < this.#bytes) return;
    this.#compacting = true;
    const garbageBefore = this.#garbage;
    void this.#journal
      .compact(() => {
        const frames: Buffer[] = [];
        for (const entry of this.#all.values())
          frames.push(frameRecord(addRecord(entry.seq, entry.peer, entry.op)));
        // Whatever is removed from here on adds new garbage to the new file.
        this.#garbage = 0;
        return frames;
      })
      .then((ok) => {
        this.#compacting = false;
        if (ok) this.#compactions += 1;
        else {
          this.#garbage += garbageBefore;
          this.#logger.warn({}, "replication queue: journal compaction failed; keeping the old journal");
        }
      });
  }
}

function addRecord(seq: number, peer: string, op: ReplicateOp): AddRecord {
  return { t: "a", s: seq, p: peer, o: encodeOp(op) };
}

function validateSettings(options: RetryQueueSettings): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
    }
  };
  positive("initialBackoffMs", options.initialBackoffMs);
  positive("maxBackoffMs", options.maxBackoffMs);
  positive("maxEntries", options.maxEntries);
  positive("maxBytes", options.maxBytes);
  if (options.compactMinBytes !== undefined && !(options.compactMinBytes >= 0)) {
    throw new RangeError(`compactMinBytes must be >= 0, got ${options.compactMinBytes}`);
  }
  if (options.jitter !== undefined && !(options.jitter >= 0 && options.jitter <= 1)) {
    throw new RangeError(`jitter must be in [0, 1], got ${options.jitter}`);
  }
  if (typeof options.dir !== "string" || options.dir.length === 0) {
    throw new RangeError("dir must be a non-empty path");
  }
}
