import type { ChannelOptions } from "@grpc/grpc-js";
import { COMPRESSION_GZIP, MAX_MESSAGE_BYTES } from "./limits.js";

/** Options for channels a plz-cache client or peer opens. */
export interface ClientChannelOptions {
  /** Compress requests with gzip, as the plz client does. Default: `true`. */
  gzip?: boolean;
  /** Largest message sent or received, in bytes. Default: {@link MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** Extra raw grpc-js channel options, applied last. */
  extra?: ChannelOptions;
}

/** grpc-js channel options with the spec's message limits and gzip. */
export function clientChannelOptions(opts: ClientChannelOptions = {}): ChannelOptions {
  const max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const options: ChannelOptions = {
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  };
  if (opts.gzip ?? true) options["grpc.default_compression_algorithm"] = COMPRESSION_GZIP;
  return { ...options, ...opts.extra };
}

/** Options for a plz-cache gRPC server. */
export interface ServerChannelOptions {
  /** Largest message accepted or sent, in bytes. Default: {@link MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** Extra raw grpc-js server options, applied last. */
  extra?: ChannelOptions;
}

/** grpc-js server options with the spec's message limits (gzip requests are always accepted by grpc-js). */
export function serverChannelOptions(opts: ServerChannelOptions = {}): ChannelOptions {
  const max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  return {
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    ...opts.extra,
  };
}
