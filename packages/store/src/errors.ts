/**
 * Every error this package throws on purpose is a {@link StoreError}; its `code` is stable across
 * versions so callers can branch on it and map it to a gRPC status in one place at the edge
 * (suggested mapping in the README: `INVALID_KEY`/`INVALID_ARGUMENT` → INVALID_ARGUMENT,
 * `CLOSED` → UNAVAILABLE, `LOCKED` → FAILED_PRECONDITION, `CORRUPT`/`IO` → INTERNAL).
 */
export type StoreErrorCode =
  /** A ref's os, arch, package, target, hash or file breaks a key rule (see `validateRef`). */
  | "INVALID_KEY"
  /** Any other argument is out of range: a symlink destination, a scan range, an option, a body. */
  | "INVALID_ARGUMENT"
  /** A blob failed verification (format, trailer checksum or body sha256) while being streamed. */
  | "CORRUPT"
  /** The store has been closed (or is closing) and takes no new work. */
  | "CLOSED"
  /** Another `ArtifactStore` (in this or another process) holds the directory's index. */
  | "LOCKED"
  /** A filesystem or SQLite operation failed; `cause` holds the underlying error. */
  | "IO";

export interface StoreErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: StoreErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Wraps anything thrown by fs or SQLite as a `StoreError` `IO`; a `StoreError` passes through. */
export function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreError("IO", `${what}: ${detail}`, { cause: err });
}
