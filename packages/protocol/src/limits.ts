/** Largest message the plz RPC cache accepts and sends: 200 MiB (spec §1). */
export const MAX_MESSAGE_BYTES = 200 * 1024 * 1024;

/** The service name the health service reports as SERVING (besides ""). */
export const HEALTH_SERVICE_NAME = "plz-rpc-cache";

/** gRPC compression algorithm numbers, as grpc-js's `grpc.default_compression_algorithm` takes them. */
export const COMPRESSION_GZIP = 2;
