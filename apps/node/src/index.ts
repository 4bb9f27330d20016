export type { NodeConfig, Verbosity } from "./config.js";
export { buildCommand, ConfigError, parseConfig, VERBOSITIES } from "./config.js";
export type { NodeLogger } from "./logger.js";
export { createLogger } from "./logger.js";
export type { ClusterHooks } from "./rpc-cache.js";
export { CacheServer, DEFAULT_GRACE_MS } from "./server.js";
export { parseDuration, parseSize } from "./units.js";
