/** The client's options, their defaults, and how they become gRPC channel settings. */
import { hostname as osHostname } from "node:os";
import { type ChannelCredentials, credentials as grpcCredentials } from "@grpc/grpc-js";
import { MAX_MESSAGE_BYTES } from "@plz-cache/protocol";
import { ClientError } from "./errors.js";
import { DEFAULT_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS } from "./node-health.js";
import { plzArch, plzOs } from "./platform.js";

/** The port plz's RPC cache listens on by default. */
export const DEFAULT_PORT = 7677;
/** Deadline of every call. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How often the topology is refreshed while the client is in use. */
export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;
/** Least time between two refreshes prompted by routing errors. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 1_000;

/** PEM-encoded TLS material (file contents, not paths). */
export interface TlsOptions {
  /** CA certificate(s) to verify the server with. Default: the system's roots. */
  ca?: Uint8Array | string;
  /** Client private key, for servers that check client certificates. Needs `cert`. */
  key?: Uint8Array | string;
  /** Client certificate chain. Needs `key`. */
  cert?: Uint8Array | string;
}

/** A pino-compatible logger; the client logs routing events at `debug` and `warn`. */
export interface ClientLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CacheClientOptions {
  /** Deadline of every call, in ms. Default: {@link DEFAULT_TIMEOUT_MS} (30 s). */
  timeoutMs?: number;
  /**
   * Refresh the cluster topology (`ListNodes`) when it is older than this, in ms, checked as
   * requests are made (no timer runs while the client is idle). `0` turns periodic refreshes
   * off. Default: {@link DEFAULT_REFRESH_INTERVAL_MS} (30 s).
   */
  refreshIntervalMs?: number;
  /** Least time between refreshes prompted by routing errors, in ms. Default: {@link DEFAULT_MIN_REFRESH_INTERVAL_MS}. */
  minRefreshIntervalMs?: number;
  /** How long a node is skipped after its first failure, in ms; doubles per failure. Default: {@link DEFAULT_BACKOFF_MS} (1 s). */
  backoffMs?: number;
  /** Longest a failing node is skipped, in ms. Default: {@link DEFAULT_MAX_BACKOFF_MS} (30 s). */
  maxBackoffMs?: number;
  /** Compress requests with gzip, as plz does. Default: `true`. */
  gzip?: boolean;
  /** Largest message sent or received, in bytes; larger requests are refused client-side. Default: `MAX_MESSAGE_BYTES` (200 MiB). */
  maxMessageBytes?: number;
  /** TLS: connect with TLS, verifying the server with `ca`, presenting `key`/`cert` when given. Default: plaintext. */
  tls?: TlsOptions;
  /** Channel credentials, overriding `tls`. Default: from `tls`, else insecure. */
  credentials?: ChannelCredentials;
  /** Default OS of targets, in plz's naming. Default: the running platform's (`linux`, `darwin`, ...). */
  os?: string;
  /** Default architecture of targets, in plz's naming. Default: the running platform's (`amd64`, `arm64`, ...). */
  arch?: string;
  /** The host name sent with stores. Default: `os.hostname()`. */
  hostname?: string;
  /** Clock in ms, for backoff and refresh timing. Default: `Date.now`. */
  now?: () => number;
  /** Random numbers in [0, 1), for backoff jitter. Default: `Math.random`. */
  random?: () => number;
  /** Receives routing events (node failures, topology changes). Default: none. */
  logger?: ClientLogger;
}

/** The options with every default applied. */
export interface ResolvedOptions {
  readonly timeoutMs: number;
  readonly refreshIntervalMs: number;
  readonly minRefreshIntervalMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly gzip: boolean;
  readonly maxMessageBytes: number;
  readonly credentials: ChannelCredentials;
  readonly os: string;
  readonly arch: string;
  readonly hostname: string;
  readonly now: () => number;
  readonly random: () => number;
  readonly logger: ClientLogger | undefined;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ClientError(
      "INVALID",
      `option ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${value}`,
    );
  }
  return value;
}

function pem(v: Uint8Array | string | undefined): Buffer | null {
  if (v === undefined) return null;
  return typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** TLS channel credentials from PEM material. */
export function tlsCredentials(tls: TlsOptions): ChannelCredentials {
  if ((tls.key === undefined) !== (tls.cert === undefined)) {
    throw new ClientError("INVALID", "a TLS client key and certificate go together: give both or neither");
  }
  try {
    return grpcCredentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
  } catch (err) {
    throw new ClientError("INVALID", `invalid TLS material: ${(err as Error).message}`, { cause: err });
  }
}

/** Applies the defaults, once. */
export function resolveOptions(opts: CacheClientOptions): ResolvedOptions {
  return {
    timeoutMs: positive("timeoutMs", opts.timeoutMs, DEFAULT_TIMEOUT_MS),
    refreshIntervalMs: positive(
      "refreshIntervalMs",
      opts.refreshIntervalMs,
      DEFAULT_REFRESH_INTERVAL_MS,
      true,
    ),
    minRefreshIntervalMs: positive(
      "minRefreshIntervalMs",
      opts.minRefreshIntervalMs,
      DEFAULT_MIN_REFRESH_INTERVAL_MS,
      true,
    ),
    backoffMs: positive("backoffMs", opts.backoffMs, DEFAULT_BACKOFF_MS, true),
    maxBackoffMs: positive("maxBackoffMs", opts.maxBackoffMs, DEFAULT_MAX_BACKOFF_MS, true),
    gzip: opts.gzip ?? true,
    maxMessageBytes: positive("maxMessageBytes", opts.maxMessageBytes, MAX_MESSAGE_BYTES),
    credentials:
      opts.credentials ??
      (opts.tls !== undefined ? tlsCredentials(opts.tls) : grpcCredentials.createInsecure()),
    os: opts.os ?? plzOs(),
    arch: opts.arch ?? plzArch(),
    hostname: opts.hostname ?? osHostname(),
    now: opts.now ?? Date.now,
    random: opts.random ?? Math.random,
    logger: opts.logger,
  };
}

/** `host` alone gets the default port; anything else (`host:port`, `[::1]:port`, `unix:...`) is kept. */
export function withDefaultPort(address: string): string {
  if (address === "") throw new ClientError("INVALID", "the server address is empty");
  return address.includes(":") ? address : `${address}:${DEFAULT_PORT}`;
}
