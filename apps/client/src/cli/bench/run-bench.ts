/**
 * The load generator behind `plz-cache bench`: `concurrency` workers issue stores and retrieves
 * (in the ratio asked) through one {@link CacheClient}, so cluster routing is exercised too,
 * until `count` operations have been issued or `durationMs` has passed, whichever is first.
 * Retrieves ask for keys stored earlier in the run and check the bytes that come back.
 */
import { performance } from "node:perf_hooks";
import type { CacheClient } from "../../cache-client.js";
import { describeCallError } from "../../errors.js";
import type { TargetRef } from "../../types.js";
import { type LatencySummary, summarizeLatencies } from "./latency.js";
import { mulberry32, randomBytes } from "./prng.js";

export interface BenchOptions {
  /** Stop issuing operations after this long, in ms. */
  readonly durationMs: number;
  /** Stop after this many operations. */
  readonly count: number;
  /** Operations in flight at once. */
  readonly concurrency: number;
  /** Artifact sizes in bytes; each store picks one at random. */
  readonly sizes: readonly number[];
  /** Fraction of operations that are retrieves (once something has been stored). */
  readonly readRatio: number;
  /** Seed of the random choices. */
  readonly seed: number;
  /** The target every artifact of the run is stored under (one hash per store). */
  readonly target: TargetRef;
  /** Called about every 100 ms with the operations done so far. */
  readonly onTick?: (done: number) => void;
}

export interface OpSummary {
  readonly ops: number;
  readonly errors: number;
  readonly misses: number;
  /** Bytes of artifact bodies sent (stores) or received (retrieves). */
  readonly bytes: number;
  readonly opsPerSec: number;
  /** Bytes of artifact bodies per second / 10^6. */
  readonly mbPerSec: number;
  readonly latencyMs: LatencySummary;
}

export interface BenchReport {
  readonly elapsedMs: number;
  readonly concurrency: number;
  readonly store: OpSummary;
  readonly retrieve: OpSummary;
  readonly total: OpSummary;
  /** The first error an operation failed with, if any did. */
  readonly firstError?: string;
}

class OpStats {
  readonly latencies: number[] = [];
  errors = 0;
  misses = 0;
  bytes = 0;

  summary(elapsedMs: number): OpSummary {
    const seconds = Math.max(elapsedMs, 1) / 1000;
    return {
      ops: this.latencies.length,
      errors: this.errors,
      misses: this.misses,
      bytes: this.bytes,
      opsPerSec: this.latencies.length / seconds,
      mbPerSec: this.bytes / 1e6 / seconds,
      latencyMs: summarizeLatencies(this.latencies),
    };
  }

  static merge(a: OpStats, b: OpStats): OpStats {
    const m = new OpStats();
    m.latencies.push(...a.latencies, ...b.latencies);
    m.errors = a.errors + b.errors;
    m.misses = a.misses + b.misses;
    m.bytes = a.bytes + b.bytes;
    return m;
  }
}

interface Stored {
  readonly hash: Buffer;
  readonly size: number;
}

export async function runBench(client: CacheClient, opts: BenchOptions): Promise<BenchReport> {
  const random = mulberry32(opts.seed);
  const payload = randomBytes(Math.max(...opts.sizes, 1), random);
  const stores = new OpStats();
  const retrieves = new OpStats();
  const stored: Stored[] = [];
  let firstError: string | undefined;
  let issued = 0;
  let done = 0;

  const start = performance.now();
  const deadline = start + opts.durationMs;
  const tick = opts.onTick === undefined ? undefined : setInterval(() => opts.onTick?.(done), 100);

  const one = async (): Promise<void> => {
    const retrieve = stored.length > 0 && random() < opts.readRatio;
    const t0 = performance.now();
    if (retrieve) {
      const key = stored[Math.floor(random() * stored.length)]!;
      try {
        const got = await client.retrieve(opts.target, key.hash, ["blob"]);
        const body = got?.[0]?.body;
        if (got === null) retrieves.misses++;
        else if (body === undefined || !body.equals(payload.subarray(0, key.size))) {
          retrieves.errors++;
          firstError ??= `retrieve returned ${body?.length ?? 0} bytes that differ from the ${key.size} stored`;
        } else retrieves.bytes += body.length;
      } catch (err) {
        retrieves.errors++;
        firstError ??= describeCallError(err);
      }
      retrieves.latencies.push(performance.now() - t0);
    } else {
      const size = opts.sizes[Math.floor(random() * opts.sizes.length)]!;
      const hash = randomBytes(20, random);
      try {
        await client.store(opts.target, hash, [{ file: "blob", body: payload.subarray(0, size) }]);
        stores.bytes += size;
        stored.push({ hash, size });
      } catch (err) {
        stores.errors++;
        firstError ??= describeCallError(err);
      }
      stores.latencies.push(performance.now() - t0);
    }
    done++;
  };

  const worker = async (): Promise<void> => {
    while (issued < opts.count && performance.now() < deadline) {
      issued++;
      await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    if (tick !== undefined) clearInterval(tick);
  }
  const elapsedMs = performance.now() - start;
  return {
    elapsedMs,
    concurrency: opts.concurrency,
    store: stores.summary(elapsedMs),
    retrieve: retrieves.summary(elapsedMs),
    total: OpStats.merge(stores, retrieves).summary(elapsedMs),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
