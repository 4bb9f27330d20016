/**
 * Every error this package throws is a {@link HashRingError}; its `code` says which rule was
 * broken and is stable across versions, so callers can branch on it (and map it to a gRPC status
 * at the edge: all of them are `INVALID_ARGUMENT` there).
 */
export type HashRingErrorCode =
  /** A key given to the plz hash functions has fewer than 4 bytes. */
  | "KEY_TOO_SHORT"
  /** A point is not an integer in [0, 2^32 - 1]. */
  | "INVALID_POINT"
  /** A slot index is not an integer in [0, size). */
  | "INVALID_SLOT"
  /** A ring size (or a `hashPoint` argument) is not a supported integer. */
  | "INVALID_SIZE"
  /** A node weight is not a finite number > 0. */
  | "INVALID_WEIGHT"
  /** A node name is not a non-empty string. */
  | "INVALID_NODE"
  /** A replica count is not a non-negative integer. */
  | "INVALID_COUNT"
  /** A constructor option is out of its documented range. */
  | "INVALID_OPTION";

export interface HashRingErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

export class HashRingError extends Error {
  override readonly name = "HashRingError";
  readonly code: HashRingErrorCode;

  constructor(code: HashRingErrorCode, message: string, options?: HashRingErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
