export type { FilesResult, RetrieveFilesOptions, StoreFilesOptions } from "./cache-client.js";
export { CacheClient } from "./cache-client.js";
export type { ClientErrorCode, ClientErrorOptions } from "./errors.js";
export { ClientError } from "./errors.js";
export { BACKOFF_JITTER, DEFAULT_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS } from "./node-health.js";
export type { CacheClientOptions, ClientLogger, TlsOptions } from "./options.js";
export {
  DEFAULT_MIN_REFRESH_INTERVAL_MS,
  DEFAULT_PORT,
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  tlsCredentials,
} from "./options.js";
export { plzArch, plzOs } from "./platform.js";
export type { ArtifactInput, NodeInfo, RetrievedArtifact, TargetRef, TransferProgress } from "./types.js";
export { DEFAULT_FILE_MODE } from "./write-files.js";
