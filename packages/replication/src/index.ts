export type { Clock, TimerHandle } from "./clock.js";
export { systemClock } from "./clock.js";
export type { ReplicationErrorCode, ReplicationErrorOptions } from "./errors.js";
export { isReplicationError, ReplicationError } from "./errors.js";
export type { LogFn, Logger } from "./logger.js";
export { silentLogger } from "./logger.js";
export type { ElasticPlacementOptions, FixedPlacementOptions, Placement } from "./placement.js";
export { DEFAULT_REPLICAS, ElasticPlacement, FixedPlacement } from "./placement.js";
export type {
  ArtifactLocator,
  LocalIndex,
  RepairEntry,
  RepairPage,
  RepairPeer,
  RepairProgress,
  RepairRangeOptions,
  RepairResult,
} from "./repair.js";
export {
  DEFAULT_REPAIR_BATCH_SIZE,
  DEFAULT_REPAIR_CONCURRENCY,
  DEFAULT_REPAIR_PAGE_SIZE,
  listRange,
  repairRange,
} from "./repair.js";
export type { RepairRole, RepairTask } from "./repair-plan.js";
export { fixedRepairPlan, POINT_SPACE_END, slotPointRange } from "./repair-plan.js";
export type {
  DeleteInput,
  ReplicaOutcome,
  ReplicaResult,
  ReplicatorOptions,
  ReplicatorStats,
  StoreInput,
} from "./replicator.js";
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_PENDING_SENDS,
  DEFAULT_SEND_TIMEOUT_MS,
  Replicator,
} from "./replicator.js";
export type {
  DeliverFn,
  DropHandler,
  RetryQueueOptions,
  RetryQueueSettings,
  RetryQueueStats,
} from "./retry-queue.js";
export {
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_ENTRIES,
  DEFAULT_QUEUE_CLOSE_TIMEOUT_MS,
  RetryQueue,
} from "./retry-queue.js";
export type {
  ArtifactRef,
  DeleteOp,
  ReplicateOp,
  ReplicationTransport,
  StoreOp,
  TargetRef,
} from "./transport.js";
