import { Metadata, type ServiceError, status } from "@grpc/grpc-js";

/**
 * The error codes the project uses, each mapped to one gRPC status in one place.
 * Every package's error codes are translated to one of these at the gRPC edge.
 */
export const ERROR_STATUS = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  DATA_LOSS: status.DATA_LOSS,
  INTERNAL: status.INTERNAL,
} as const;

/** A project error code with a fixed gRPC status. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The gRPC status code for a project error code. */
export function statusFor(code: ErrorCode): status {
  return ERROR_STATUS[code];
}

/** A `ServiceError`-shaped object to pass to a grpc-js callback. */
export function serviceError(code: ErrorCode, details: string): Partial<ServiceError> {
  return { code: ERROR_STATUS[code], details, message: details, metadata: new Metadata() };
}

/** Whether an error from a call is a gRPC error carrying a status code. */
export function isServiceError(err: unknown): err is ServiceError {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "number";
}

/**
 * Whether a failed call should be retried elsewhere (another replica):
 * transport and availability failures are, client mistakes and auth failures are not.
 */
export function isRetryableStatus(code: status): boolean {
  return (
    code === status.UNAVAILABLE ||
    code === status.DEADLINE_EXCEEDED ||
    code === status.INTERNAL ||
    code === status.UNKNOWN ||
    code === status.RESOURCE_EXHAUSTED ||
    code === status.ABORTED ||
    code === status.CANCELLED
  );
}
