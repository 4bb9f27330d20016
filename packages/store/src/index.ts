export type { StoreErrorCode, StoreErrorOptions } from "./errors.js";
export { StoreError } from "./errors.js";
export type { StoreEvent, StoreEventType } from "./events.js";
export {
  artifactKey,
  decodeHash,
  encodeHash,
  keyPoint,
  MAX_FILE_BYTES,
  MAX_HASH_BYTES,
  MAX_PACKAGE_BYTES,
  MAX_PLATFORM_BYTES,
  MAX_SEGMENT_BYTES,
  MAX_TARGET_BYTES,
  MIN_HASH_BYTES,
  targetKey,
  validateRef,
} from "./keys.js";
export {
  CLEAN_SOON_DELAY_MS,
  DEFAULT_CLEAN_FREQUENCY_MS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_INLINE_MAX_BYTES,
  DEFAULT_LAST_READ_FLUSH_MS,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_MAX_ARTIFACT_AGE_MS,
  DEFAULT_SCAN_LIMIT,
  HASH_SPACE_END,
  MAX_INLINE_MAX_BYTES,
  MAX_SCAN_LIMIT,
  MAX_SYMLINK_BYTES,
} from "./options.js";
export type { ScanOptions } from "./store.js";
export { ArtifactStore } from "./store.js";
export type {
  ArtifactInfo,
  ArtifactRef,
  BodySource,
  LogFn,
  Logger,
  StoredEntry,
  StoreMeta,
  StoreOptions,
  StoreStats,
  TargetRef,
} from "./types.js";
