/**
 * Stable error codes of `@plz-cache/membership`. They are part of the public API: match on
 * `err.code`, never on the message.
 *
 * - `INVALID_OPTIONS`: a constructor option is out of range or of the wrong shape.
 * - `INVALID_ADDRESS`: a `host:port` string (seed, advertise address) does not parse.
 * - `META_TOO_LARGE`: the metadata bag encodes to more than `MAX_META_BYTES` (512) bytes, or a
 *   key/value is malformed.
 * - `NOT_STARTED`: the call needs `start()` to have completed.
 * - `ALREADY_STARTED`: `start()` was called twice.
 * - `CLOSED`: the instance has been closed (or has left) and cannot do this any more.
 * - `BIND_FAILED`: the transport could not bind its sockets.
 * - `JOIN_FAILED`: no seed could be contacted after every retry.
 */
export type MembershipErrorCode =
  | "INVALID_OPTIONS"
  | "INVALID_ADDRESS"
  | "META_TOO_LARGE"
  | "NOT_STARTED"
  | "ALREADY_STARTED"
  | "CLOSED"
  | "BIND_FAILED"
  | "JOIN_FAILED";

/** The one error class thrown (or rejected with) by this package. */
export class MembershipError extends Error {
  override readonly name = "MembershipError";
  readonly code: MembershipErrorCode;

  constructor(code: MembershipErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
