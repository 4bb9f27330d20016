/**
 * Every error the client throws is a {@link ClientError}. Its `code` is stable across versions
 * and says what went wrong in terms a caller can act on; the gRPC status, when there was one,
 * is kept in `status`, and the underlying error in `cause`.
 *
 * A miss is not an error: `retrieve` resolves with `null`.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import { isServiceError } from "@plz-cache/protocol";

export type ClientErrorCode =
  /** No node that could serve the request answered (connection refused, reset, DNS, node backing off). */
  | "UNREACHABLE"
  /** The call's deadline passed before an answer came (option `timeoutMs`). */
  | "TIMEOUT"
  /** The server rejected the client's credentials (`UNAUTHENTICATED` or `PERMISSION_DENIED`). */
  | "UNAUTHENTICATED"
  /** The server answered, but refused or failed the request (`success: false`, `INTERNAL`, ...). */
  | "REFUSED"
  /** A message is over the size limit (refused client-side, or `RESOURCE_EXHAUSTED` from the server). */
  | "TOO_LARGE"
  /** The caller's arguments are invalid (checked client-side, or `INVALID_ARGUMENT` from the server). */
  | "INVALID"
  /** An artifact path received from the cache would escape the output directory, or write through a symlink. */
  | "UNSAFE_PATH"
  /** A local file could not be read or written. */
  | "IO"
  /** The client was closed. */
  | "CLOSED";

export interface ClientErrorOptions {
  /** The underlying error. */
  readonly cause?: unknown;
  /** The gRPC status code of the failed call, when the error came from one. */
  readonly status?: number;
  /** The address of the node the error came from, when it came from one node. */
  readonly address?: string;
}

export class ClientError extends Error {
  override readonly name = "ClientError";
  readonly code: ClientErrorCode;
  /** The gRPC status code of the failed call, when the error came from one. */
  readonly status: number | undefined;
  /** The address of the node the error came from, when it came from one node. */
  readonly address: string | undefined;

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.address = options.address;
  }
}

/** The one place where gRPC status codes become client error codes. */
export function codeForStatus(code: number): ClientErrorCode {
  switch (code) {
    case grpcStatus.UNAVAILABLE:
    case grpcStatus.CANCELLED:
      return "UNREACHABLE";
    case grpcStatus.DEADLINE_EXCEEDED:
      return "TIMEOUT";
    case grpcStatus.UNAUTHENTICATED:
    case grpcStatus.PERMISSION_DENIED:
      return "UNAUTHENTICATED";
    case grpcStatus.RESOURCE_EXHAUSTED:
      return "TOO_LARGE";
    case grpcStatus.INVALID_ARGUMENT:
      return "INVALID";
    default:
      return "REFUSED";
  }
}

/** The name of a gRPC status code (`14` -> `UNAVAILABLE`). */
export function statusName(code: number): string {
  return (grpcStatus as unknown as Record<number, string>)[code] ?? `status ${code}`;
}

/** One line describing an error from a call: `UNAVAILABLE: No connection established`. */
export function describeCallError(err: unknown): string {
  if (isServiceError(err)) {
    const details = (err.details || err.message)
      .replace(/\.?\s*Resolution note:\s*$/, "")
      .replace(/\s*\n\s*/g, " ");
    return `${statusName(err.code)}: ${details}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A ClientError for an error thrown by one call to the node at `address`. */
export function fromCallError(err: unknown, what: string, address: string): ClientError {
  if (err instanceof ClientError) return err;
  const message = `${what}: ${address}: ${describeCallError(err)}`;
  if (isServiceError(err))
    return new ClientError(codeForStatus(err.code), message, { cause: err, status: err.code, address });
  return new ClientError("REFUSED", message, { cause: err, address });
}
