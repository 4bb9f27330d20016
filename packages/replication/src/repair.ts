/**
 * Repair (anti-entropy) for a node that rejoins: page through a partner's keys of a point
 * range and pull the ones this node lacks or holds with a different digest. The algorithm
 * only; the node implements {@link LocalIndex} over its store and {@link RepairPeer} over an
 * extra gRPC service whose server side is {@link listRange} on the partner's index.
 */
import { type Logger, silentLogger } from "./logger.js";

type MaybePromise<T> = T | Promise<T>;

/** Where a stored artifact lives: enough to fetch it from a peer. */
export interface ArtifactLocator {
  readonly os: string;
  readonly arch: string;
  /** The request hash. */
  readonly hash: Uint8Array;
  readonly package: string;
  readonly target: string;
  readonly file: string;
}

/** One key of a range listing. */
export interface RepairEntry {
  /**
   * The artifact's key, `{os}_{arch}/{package}/{target}/{H}/{file}`; listings are ordered by
   * it (code unit order) and resume after it.
   */
  readonly key: string;
  /** A digest of the content (the store's choice: a hash of the body, size and hash, ...); compared as a string. */
  readonly digest: string;
  readonly ref: ArtifactLocator;
}

/** The node's own store, as repair needs it. */
export interface LocalIndex {
  /**
   * Up to `limit` entries whose key point `hash(request hash)` is in `[begin, end)` (`end` up
   * to 2^32), ordered by key, keys strictly after `after` when given.
   */
  scanRange(
    begin: number,
    end: number,
    options: { readonly after?: string; readonly limit: number },
  ): MaybePromise<readonly RepairEntry[]>;
  /** The local digest of each key (`undefined` where absent), in the order given. */
  digests(keys: readonly string[]): MaybePromise<ReadonlyArray<string | undefined>>;
}

/** One page of a partner's listing. */
export interface RepairPage {
  readonly keys: readonly RepairEntry[];
  /** Cursor for the next page; absent on the last page. */
  readonly next?: string;
}

/** The partner side of repair, over the network. */
export interface RepairPeer {
  /** One page of `peer`'s keys with point in `[begin, end)`, after the cursor `after`. */
  listKeys(
    peer: string,
    begin: number,
    end: number,
    after: string | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<RepairPage>;
  /** Copies the artifacts from `peer` into the local store; resolves to how many were stored. */
  fetchInto(peer: string, refs: readonly ArtifactLocator[], signal?: AbortSignal): Promise<number>;
}

/**
 * The server side of `listKeys` on the partner: one page of its index for the range, with a
 * `next` cursor when more may follow. `limit` must be >= 1.
 */
export async function listRange(
  index: LocalIndex,
  begin: number,
  end: number,
  after: string | undefined,
  limit: number,
): Promise<RepairPage> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
  const rows = await index.scanRange(
    begin,
    end,
    after === undefined ? { limit: limit + 1 } : { after, limit: limit + 1 },
  );
  if (rows.length <= limit) return { keys: rows };
  const keys = rows.slice(0, limit);
  return { keys, next: keys[keys.length - 1]!.key };
}

/** Default keys per listing page. */
export const DEFAULT_REPAIR_PAGE_SIZE = 1_000;
/** Default artifacts per `fetchInto` call. */
export const DEFAULT_REPAIR_BATCH_SIZE = 64;
/** Default `fetchInto` calls in flight. */
export const DEFAULT_REPAIR_CONCURRENCY = 4;

export interface RepairRangeOptions {
  /** The partner to pull from. */
  readonly peer: string;
  /** First key point of the range. */
  readonly begin: number;
  /** Key point past the range (exclusive), at most 2^32. */
  readonly end: number;
  readonly local: LocalIndex;
  readonly remote: RepairPeer;
  /** Resume after this cursor (a previous result's `cursor`). Default: from the start. */
  readonly after?: string;
  /** Keys per page, an integer >= 1. Default 1000. */
  readonly pageSize?: number;
  /** Artifacts per `fetchInto`, an integer >= 1. Default 64. */
  readonly batchSize?: number;
  /** `fetchInto` calls in flight, an integer >= 1. Default 4. */
  readonly concurrency?: number;
  /** Stops the repair (it resolves incomplete, resumable). */
  readonly signal?: AbortSignal;
  /** Called after each page with the running totals. */
  readonly onProgress?: (progress: RepairProgress) => void;
  /** Default: silent. */
  readonly logger?: Logger;
}

export interface RepairProgress {
  /** Pages listed and fully processed. */
  readonly pages: number;
  /** Partner keys seen. */
  readonly scanned: number;
  /** Keys absent here. */
  readonly missing: number;
  /** Keys here with another digest. */
  readonly differing: number;
  /** Artifacts `fetchInto` reported stored. */
  readonly fetched: number;
  /**
   * Everything up to and including this cursor is done: pass it as `after` to resume.
   * `undefined` until the first page completes.
   */
  readonly cursor: string | undefined;
}

export interface RepairResult extends RepairProgress {
  /** Whether the whole range was processed. */
  readonly complete: boolean;
  /** Why it stopped early (a listing or fetch failure, or the abort reason). */
  readonly error?: unknown;
}

/**
 * Pulls into the local store every key of `[begin, end)` that `peer` has and this node lacks
 * or holds with a different digest. Pages are listed one ahead of the fetches; a page's
 * cursor is committed only when all its fetches succeeded, so a failed or aborted run
 * resolves with `complete: false` and a `cursor` to resume from (redoing at most one page,
 * whose already-fetched keys then compare equal and are skipped). Rejects only with a
 * `RangeError` for options out of range.
 */
export async function repairRange(options: RepairRangeOptions): Promise<RepairResult> {
  const { peer, begin, end, local, remote, signal } = options;
  const pageSize = positiveInteger("pageSize", options.pageSize ?? DEFAULT_REPAIR_PAGE_SIZE);
  const batchSize = positiveInteger("batchSize", options.batchSize ?? DEFAULT_REPAIR_BATCH_SIZE);
  const concurrency = positiveInteger("concurrency", options.concurrency ?? DEFAULT_REPAIR_CONCURRENCY);
  const logger = options.logger ?? silentLogger;
  let pages = 0;
  let scanned = 0;
  let missing = 0;
  let differing = 0;
  let fetched = 0;
  let cursor = options.after;
  const progress = (): RepairProgress => ({ pages, scanned, missing, differing, fetched, cursor });
  const stop = (error: unknown): RepairResult => {
    logger.warn({ peer, begin, end, cursor, err: error }, "repair stopped early");
    return { ...progress(), complete: false, error };
  };

  const list = (after: string | undefined): Promise<RepairPage> => {
    const page = Promise.resolve().then(() => remote.listKeys(peer, begin, end, after, pageSize, signal));
    page.catch(() => {}); // awaited later; do not report it unhandled meanwhile
    return page;
  };

  let pending = list(cursor);
  for (;;) {
    if (signal?.aborted) return stop(signal.reason);
    let page: RepairPage;
    try {
      page = await pending;
    } catch (err) {
      return stop(err);
    }
    if (page.next !== undefined && page.next === cursor) {
      return stop(new Error(`peer ${peer} returned a cursor that does not advance`));
    }
    if (page.next !== undefined) pending = list(page.next);

    let wanted: RepairEntry[];
    try {
      const have = await local.digests(page.keys.map((entry) => entry.key));
      wanted = [];
      page.keys.forEach((entry, i) => {
        const digest = have[i];
        if (digest === undefined) missing += 1;
        else if (digest !== entry.digest) differing += 1;
        else return;
        wanted.push(entry);
      });
    } catch (err) {
      return stop(err);
    }
    scanned += page.keys.length;

    const batches: ArtifactLocator[][] = [];
    for (let i = 0; i < wanted.length; i += batchSize) {
      batches.push(wanted.slice(i, i + batchSize).map((entry) => entry.ref));
    }
    let failure: { error: unknown } | undefined;
    let nextBatch = 0;
    const worker = async () => {
      while (failure === undefined && nextBatch < batches.length) {
        if (signal?.aborted) {
          failure = { error: signal.reason };
          return;
        }
        const batch = batches[nextBatch++]!;
        try {
          const stored = await remote.fetchInto(peer, batch, signal);
          fetched += stored; // (not `fetched += await`: that reads `fetched` before the await)
        } catch (err) {
          failure ??= { error: err };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    if (failure !== undefined) return stop(failure.error);

    pages += 1;
    const last = page.keys[page.keys.length - 1];
    cursor = page.next ?? (last === undefined ? cursor : last.key);
    options.onProgress?.(progress());
    if (page.next === undefined) return { ...progress(), complete: true };
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  return value;
}
