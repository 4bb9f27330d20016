/**
 * Cleaning (spec §2): first remove what has not been read within maxArtifactAge (never read
 * counts from stored-at), then, if the body bytes exceed the high water mark, remove the least
 * recently read until they are at or below the low water mark.
 *
 * The unit of removal is a stored output: every artifact of one target under one hash (one
 * `{os}_{arch}/{package}/{target}/{H}` directory). Evicting a single file of a directory output
 * would let a later Retrieve of that directory answer with a partial set. An output is removed
 * by age only when none of its files was read within the age; an output with a file that is
 * being read or written (pinned) is skipped, as is one read or stored since the clean began.
 */
import type { CleanResult } from "../types.js";
import { mapLimit } from "./concurrency.js";
import type { IndexDb, IndexRow, RowRef } from "./index-db.js";
import type { LastReadBatch } from "./last-read.js";
import type { PinSet } from "./pins.js";

const BATCH = 512;
const GROUP_CONCURRENCY = 8;
const MEMBER_CONCURRENCY = 16;

export interface CleanHost {
  db: IndexDb;
  pins: PinSet;
  lastRead: LastReadBatch;
  totalBytes(): number;
  /** True once the store is closing: stop early. */
  stopped(): boolean;
  /** Under the key's lock: removes row and blob if `check(row)` holds; returns the removed row. */
  removeKey(key: string, check: (row: IndexRow) => boolean): Promise<IndexRow | null>;
  /** Reports one evicted artifact (event, counters). */
  evicted(row: IndexRow, reason: "age" | "size"): void;
}

export interface CleanLimits {
  now: number;
  maxArtifactAgeMs: number;
  highWaterMark: number;
  lowWaterMark: number;
}

function groupPrefix(row: RowRef): string {
  return `${row.target_key}/${row.hash}/`;
}

export async function runClean(host: CleanHost, limits: CleanLimits): Promise<CleanResult> {
  const result: CleanResult = { removedFiles: 0, removedBytes: 0 };
  const cutoff = limits.now - limits.maxArtifactAgeMs;
  const effectiveLastRead = (row: RowRef): number => Math.max(row.last_read, host.lastRead.get(row.key) ?? 0);
  let inFlightBytes = 0;

  /** Evicts the output `row` belongs to, or marks it skipped when it must stay. */
  const evictGroup = async (row: RowRef, reason: "age" | "size", skipped: Set<string>): Promise<void> => {
    const members = host.db
      .listPrefix(groupPrefix(row))
      .filter((m) => m.target_key === row.target_key && m.hash === row.hash);
    // By age: keep an output any file of which was read within the age. By size: keep one read
    // (or stored) since this clean began.
    const threshold = reason === "age" ? cutoff : limits.now;
    const keep = (m: RowRef): boolean => host.pins.has(m.key) || effectiveLastRead(m) >= threshold;
    if (members.length === 0 || members.some(keep)) {
      skipped.add(row.key);
      for (const m of members) skipped.add(m.key);
      return;
    }
    // Counted before the first await, so parallel evictions do not overshoot the low water mark.
    const bytes = members.reduce((sum, m) => sum + m.size, 0);
    inFlightBytes += bytes;
    try {
      await mapLimit(members, MEMBER_CONCURRENCY, async (m) => {
        const removed = await host.removeKey(m.key, (current) => !keep(current));
        if (removed) {
          result.removedFiles++;
          result.removedBytes += removed.size;
          host.evicted(removed, reason);
        } else {
          skipped.add(m.key);
        }
      });
    } finally {
      inFlightBytes -= bytes;
    }
  };

  const sweep = async (
    select: (limit: number) => RowRef[],
    reason: "age" | "size",
    more: () => boolean,
  ): Promise<void> => {
    const skipped = new Set<string>();
    while (more() && !host.stopped()) {
      const rows = select(BATCH + skipped.size).filter((r) => !skipped.has(r.key));
      if (rows.length === 0) return;
      const seen = new Set<string>();
      const groups = rows.filter((r) => {
        const g = `${r.target_key}\u0000${r.hash}`;
        if (seen.has(g)) return false;
        seen.add(g);
        return true;
      });
      await mapLimit(groups, GROUP_CONCURRENCY, async (r) => {
        if (!more() || host.stopped()) return;
        await evictGroup(r, reason, skipped);
      });
    }
  };

  await sweep(
    (limit) => host.db.olderThan(cutoff, limit),
    "age",
    () => true,
  );
  if (host.totalBytes() > limits.highWaterMark) {
    await sweep(
      (limit) => host.db.leastRecentlyRead(limit),
      "size",
      () => host.totalBytes() - inFlightBytes > limits.lowWaterMark,
    );
  }
  return result;
}
