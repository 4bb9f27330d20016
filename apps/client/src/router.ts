/**
 * Where each call goes, and what happens when it fails there.
 *
 * - The topology comes from `ListNodes` on the server the client was given (or, when that one
 *   is down, on any node already known); `UNIMPLEMENTED` or an empty list means unclustered.
 * - A keyed call goes to the owner of `hash(key)`; on an RPC failure (never on a miss, which is
 *   an answer) it is retried on the owner of `alternateHash(key)`. A node that failed is skipped
 *   until its backoff has passed ({@link NodeHealth}).
 * - A routing failure prompts a topology refresh; when every candidate failed, the call waits
 *   for that refresh and tries the new owners, if the topology changed. The topology is also
 *   refreshed when it is older than `refreshIntervalMs`.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import { callUnary, isRetryableStatus, isServiceError, type RpcCacheClient } from "@plz-cache/protocol";
import { ConnectionPool } from "./connection-pool.js";
import {
  ClientError,
  type ClientErrorCode,
  codeForStatus,
  describeCallError,
  fromCallError,
} from "./errors.js";
import { NodeHealth } from "./node-health.js";
import type { ResolvedOptions } from "./options.js";
import { Topology } from "./topology.js";

/** A call made on one node. */
export type NodeCall<T> = (client: RpcCacheClient, address: string) => Promise<T>;

/** How a failed call is treated. */
type Failure =
  /** The request is at fault (bad argument, credentials): no other node would answer differently. */
  | "fatal"
  /** Try the next candidate, but the node is fine (e.g. a message over its limit). */
  | "retry"
  /** The node failed: back off from it, dial it afresh next time, refresh the topology. */
  | "node";

function classify(err: unknown): Failure {
  if (!isServiceError(err)) return "node";
  if (!isRetryableStatus(err.code)) return "fatal";
  return err.code === grpcStatus.RESOURCE_EXHAUSTED ? "retry" : "node";
}

export class Router {
  readonly #seed: string;
  readonly #opts: ResolvedOptions;
  readonly #pool: ConnectionPool;
  readonly #health: NodeHealth;
  #topology: Topology | undefined;
  #refreshing: Promise<Topology> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(seed: string, opts: ResolvedOptions, dial: (address: string) => RpcCacheClient) {
    this.#seed = seed;
    this.#opts = opts;
    this.#pool = new ConnectionPool(dial);
    this.#health = new NodeHealth({
      backoffMs: opts.backoffMs,
      maxBackoffMs: opts.maxBackoffMs,
      now: opts.now,
      random: opts.random,
    });
  }

  /** The current topology, if one has been loaded. */
  get topology(): Topology | undefined {
    return this.#topology;
  }

  /** The per-node health record (for inspection). */
  get health(): NodeHealth {
    return this.#health;
  }

  /** The topology, loading it first if it never was. */
  async ensureTopology(): Promise<Topology> {
    this.#assertOpen();
    if (this.#topology !== undefined) {
      if (
        this.#opts.refreshIntervalMs > 0 &&
        this.#opts.now() - this.#lastAttemptAt >= this.#opts.refreshIntervalMs
      ) {
        this.#refreshInBackground("periodic");
      }
      return this.#topology;
    }
    return this.refresh();
  }

  /** Reloads the topology now (or joins a reload in flight). */
  refresh(): Promise<Topology> {
    this.#assertOpen();
    if (this.#refreshing === undefined) {
      this.#lastAttemptAt = this.#opts.now();
      this.#refreshing = this.#load().finally(() => {
        this.#refreshing = undefined;
      });
    }
    return this.#refreshing;
  }

  /**
   * Runs `call` on the owner of `key`, then on the owner of its alternate point when the first
   * fails with an RPC error; then, if both failed and a refresh changes the owners, on those.
   */
  async route<T>(what: string, key: Uint8Array, call: NodeCall<T>): Promise<T> {
    let topology = await this.ensureTopology();
    const tried = new Set<string>();
    const problems: string[] = [];
    let lastError: unknown;
    let attempted = false;
    for (let round = 0; round < 2; round++) {
      for (const node of topology.route(key)) {
        const address = node.address;
        if (tried.has(address)) continue;
        tried.add(address);
        if (!this.#health.isAvailable(address)) {
          const waitS = (this.#health.retryInMs(address) / 1000).toFixed(1);
          problems.push(
            `${address}: skipped, backing off after ${this.#health.failures(address)} failure(s) (next try in ${waitS} s)`,
          );
          // The node may have moved (restarted elsewhere): look again, at most every minRefreshIntervalMs.
          this.#refreshInBackground("owner backing off");
          continue;
        }
        attempted = true;
        try {
          const result = await this.#pool.use(address, (client) => call(client, address));
          this.#health.recordSuccess(address);
          return result;
        } catch (err) {
          this.#assertOpen();
          const failure = classify(err);
          if (failure === "fatal") throw fromCallError(err, what, address);
          if (failure === "node") this.#nodeFailed(address, err);
          lastError = err;
          problems.push(`${address}: ${describeCallError(err)}`);
        }
      }
      if (round === 1) break;
      // Every candidate failed or was skipped: the topology may have moved on.
      const next = await this.#refreshAfterFailure();
      if (next === undefined || next.equals(topology)) break;
      topology = next;
    }
    let code: ClientErrorCode = "UNREACHABLE";
    if (attempted && isServiceError(lastError)) code = codeForStatus(lastError.code);
    throw new ClientError(code, `${what}: ${problems.join("; ") || "no node owns this key"}`, {
      cause: lastError,
      ...(isServiceError(lastError) ? { status: lastError.code } : {}),
    });
  }

  /**
   * Runs `call` on every node of the topology (or the one server), in parallel, whatever their
   * backoff: for deletes, which must reach everything.
   *
   * @throws {ClientError} when any node failed, naming each failure.
   */
  async broadcast<T>(what: string, call: NodeCall<T>): Promise<T[]> {
    const topology = await this.ensureTopology();
    const addresses = topology.addresses();
    const settled = await Promise.allSettled(
      addresses.map(async (address) => {
        try {
          const result = await this.#pool.use(address, (client) => call(client, address));
          this.#health.recordSuccess(address);
          return result;
        } catch (err) {
          if (classify(err) === "node") this.#nodeFailed(address, err);
          throw err;
        }
      }),
    );
    this.#assertOpen();
    const failed = settled.flatMap((s, i) =>
      s.status === "rejected" ? [{ address: addresses[i]!, err: s.reason }] : [],
    );
    if (failed.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
    const first = failed[0]!;
    const lines = failed.map((f) => `${f.address}: ${describeCallError(f.err)}`).join("; ");
    const reached = addresses.length - failed.length;
    const err = fromCallError(first.err, what, first.address);
    throw new ClientError(err.code, `${what}: reached ${reached} of ${addresses.length} node(s); ${lines}`, {
      cause: first.err,
      ...(err.status !== undefined ? { status: err.status } : {}),
    });
  }

  /** Closes every connection; later calls fail with `CLOSED`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError("CLOSED", "the cache client is closed");
  }

  #nodeFailed(address: string, err: unknown): void {
    const backoffMs = this.#health.recordFailure(address);
    this.#pool.retire(address);
    this.#opts.logger?.warn(
      { address, backoffMs, err: describeCallError(err) },
      "cache node failed; backing off",
    );
    this.#refreshInBackground("node failure");
  }

  #refreshInBackground(reason: string): void {
    if (this.#closed || this.#refreshing !== undefined) return;
    if (this.#opts.now() - this.#lastAttemptAt < this.#opts.minRefreshIntervalMs) return;
    this.refresh().catch((err: unknown) => {
      this.#opts.logger?.debug({ reason, err: describeCallError(err) }, "topology refresh failed");
    });
  }

  /** After every candidate failed: the refreshed topology, or `undefined` if none could be had. */
  async #refreshAfterFailure(): Promise<Topology | undefined> {
    if (this.#closed) return undefined;
    const pending =
      this.#refreshing ??
      (this.#opts.now() - this.#lastAttemptAt >= this.#opts.minRefreshIntervalMs
        ? this.refresh()
        : undefined);
    if (pending === undefined) return this.#topology;
    try {
      return await pending;
    } catch {
      return undefined;
    }
  }

  async #load(): Promise<Topology> {
    const known = this.#topology?.addresses() ?? [];
    const sources = [...new Set([this.#seed, ...known])];
    const available = sources.filter((a) => this.#health.isAvailable(a));
    if (available.length === 0) {
      const waits = sources.map(
        (a) => `${a} (next try in ${(this.#health.retryInMs(a) / 1000).toFixed(1)} s)`,
      );
      throw new ClientError(
        "UNREACHABLE",
        `cannot reach the cache: every server is backing off: ${waits.join(", ")}`,
      );
    }
    let lastError: ClientError | undefined;
    for (const address of available) {
      try {
        const res = await this.#pool.use(address, (c) =>
          callUnary(c, c.listNodes, {}, { timeoutMs: this.#opts.timeoutMs }),
        );
        this.#health.recordSuccess(address);
        return this.#apply(Topology.fromNodes(address, res.nodes));
      } catch (err) {
        if (this.#closed) throw new ClientError("CLOSED", "the cache client is closed");
        if (isServiceError(err) && err.code === grpcStatus.UNIMPLEMENTED) {
          this.#health.recordSuccess(address);
          return this.#apply(Topology.unclustered(address));
        }
        const failure = classify(err);
        if (failure === "fatal") throw fromCallError(err, "ListNodes", address);
        if (failure === "node") {
          this.#health.recordFailure(address);
          this.#pool.retire(address);
        }
        lastError = fromCallError(err, `cannot reach the cache: ListNodes`, address);
      }
    }
    throw lastError!;
  }

  #apply(next: Topology): Topology {
    const previous = this.#topology;
    this.#topology = next;
    if (previous === undefined || !previous.equals(next)) {
      const keep = new Set([this.#seed, ...next.addresses()]);
      for (const address of previous?.addresses() ?? []) if (!keep.has(address)) this.#health.forget(address);
      this.#pool.retain(keep);
      this.#opts.logger?.debug(
        { clustered: next.clustered, nodes: next.nodes.map((n) => `${n.name}=${n.address}`) },
        "topology changed",
      );
    }
    return next;
  }
}
