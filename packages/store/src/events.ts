/**
 * Events the store reports through `StoreOptions.onEvent`, so the node can count them in its
 * metrics. Handlers run synchronously; an exception thrown by one is logged and ignored.
 */
export type StoreEvent =
  /** Cleaning removed an artifact: `age` (not read within maxArtifactAge) or `size` (LRU). */
  | { type: "evicted"; key: string; size: number; reason: "age" | "size" }
  /** A blob failed verification; it was removed and the read answered as a miss. */
  | { type: "corrupt"; key: string; reason: string }
  /** An index row named a blob that is not on disk; the row was removed. */
  | { type: "stale"; key: string }
  /** The index was rebuilt from the blobs on disk at open. */
  | { type: "rebuilt"; reason: string; artifacts: number; bytes: number; durationMs: number }
  /** A reconcile pass (after an unclean shutdown) fixed differences between blobs and index. */
  | { type: "reconciled"; added: number; removed: number; durationMs: number };

export type StoreEventType = StoreEvent["type"];
