/** Defaults and limits of the store, and the one place options are checked and defaulted. */
import { StoreError } from "./errors.js";
import type { StoreEvent } from "./events.js";
import { NOOP_LOGGER } from "./internal/noop-logger.js";
import { DEFAULT_READ_CACHE_BYTES } from "./internal/read-cache.js";
import type { Logger, StoreOptions } from "./types.js";

const GiB = 1024 ** 3;
/** `lowWaterMark` default: 18 GiB of body bytes (the original's `--low_water_mark 18G`). */
export const DEFAULT_LOW_WATER_MARK = 18 * GiB;
/** `highWaterMark` default: 20 GiB (`--high_water_mark 20G`). */
export const DEFAULT_HIGH_WATER_MARK = 20 * GiB;
/** `maxArtifactAgeMs` default: 720 h (`--max_artifact_age 720h`). */
export const DEFAULT_MAX_ARTIFACT_AGE_MS = 720 * 60 * 60 * 1000;
/** `cleanFrequencyMs` default: 10 min (`--clean_frequency 10m`). */
export const DEFAULT_CLEAN_FREQUENCY_MS = 10 * 60 * 1000;
/** `lastReadFlushMs` default. */
export const DEFAULT_LAST_READ_FLUSH_MS = 1000;
/** Delay of the clean that a write over the high water mark triggers (after `start()`). */
export const CLEAN_SOON_DELAY_MS = 250;
/** Longest symlink destination, in UTF-8 bytes. */
export const MAX_SYMLINK_BYTES = 4096;
/** Largest `limit` of one `scanRange` page. */
export const MAX_SCAN_LIMIT = 100_000;
/** `limit` of a `scanRange` page when none is given. */
export const DEFAULT_SCAN_LIMIT = 1000;
/** `inlineMaxBytes` default: bodies up to 32 KiB live in the index, not in files. */
export const DEFAULT_INLINE_MAX_BYTES = 32 * 1024;
/** Largest `inlineMaxBytes` accepted (SQLite keeps such a body in a few overflow pages). */
export const MAX_INLINE_MAX_BYTES = 1024 * 1024;
/** Exclusive end of the hash space: `scanRange(0, HASH_SPACE_END)` covers every point. */
export const HASH_SPACE_END = 2 ** 32;

export interface ResolvedOptions {
  lowWaterMark: number;
  highWaterMark: number;
  maxArtifactAgeMs: number;
  cleanFrequencyMs: number;
  fsync: boolean;
  fsyncDirectories: boolean;
  lastReadFlushMs: number;
  readCacheBytes: number;
  inlineMaxBytes: number;
  clock: () => number;
  logger: Logger;
  onEvent: ((event: StoreEvent) => void) | undefined;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new StoreError("INVALID_ARGUMENT", `option ${name} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

function inlineMax(value: number | undefined): number {
  const v = nonNegative("inlineMaxBytes", value, DEFAULT_INLINE_MAX_BYTES);
  if (v > MAX_INLINE_MAX_BYTES) {
    throw new StoreError("INVALID_ARGUMENT", `option inlineMaxBytes must be at most ${MAX_INLINE_MAX_BYTES}`);
  }
  return Math.floor(v);
}

export function resolveOptions(opts: StoreOptions): ResolvedOptions {
  if (typeof opts?.dir !== "string" || opts.dir === "") {
    throw new StoreError("INVALID_ARGUMENT", "option dir must be a non-empty string");
  }
  const lowWaterMark = nonNegative("lowWaterMark", opts.lowWaterMark, DEFAULT_LOW_WATER_MARK);
  const highWaterMark = nonNegative("highWaterMark", opts.highWaterMark, DEFAULT_HIGH_WATER_MARK);
  if (lowWaterMark > highWaterMark) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `lowWaterMark (${lowWaterMark}) exceeds highWaterMark (${highWaterMark})`,
    );
  }
  const cleanFrequencyMs = nonNegative("cleanFrequencyMs", opts.cleanFrequencyMs, DEFAULT_CLEAN_FREQUENCY_MS);
  if (cleanFrequencyMs === 0) throw new StoreError("INVALID_ARGUMENT", "option cleanFrequencyMs must be > 0");
  return {
    lowWaterMark,
    highWaterMark,
    maxArtifactAgeMs: nonNegative("maxArtifactAgeMs", opts.maxArtifactAgeMs, DEFAULT_MAX_ARTIFACT_AGE_MS),
    cleanFrequencyMs,
    fsync: opts.fsync ?? true,
    fsyncDirectories: opts.fsyncDirectories ?? false,
    lastReadFlushMs: nonNegative("lastReadFlushMs", opts.lastReadFlushMs, DEFAULT_LAST_READ_FLUSH_MS),
    readCacheBytes: nonNegative("readCacheBytes", opts.readCacheBytes, DEFAULT_READ_CACHE_BYTES),
    inlineMaxBytes: inlineMax(opts.inlineMaxBytes),
    clock: opts.clock ?? Date.now,
    logger: opts.logger ?? NOOP_LOGGER,
    onEvent: opts.onEvent,
  };
}

export function checkSymlinkDestination(destination: unknown): asserts destination is string {
  if (typeof destination !== "string" || destination === "") {
    throw new StoreError("INVALID_ARGUMENT", "a symlink destination must be a non-empty string");
  }
  if (destination.includes("\u0000")) {
    throw new StoreError("INVALID_ARGUMENT", "a symlink destination must not contain a NUL byte");
  }
  if (Buffer.byteLength(destination, "utf8") > MAX_SYMLINK_BYTES) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `a symlink destination must be at most ${MAX_SYMLINK_BYTES} bytes`,
    );
  }
}
