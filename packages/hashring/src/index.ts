export type { HashRingMember, HashRingOptions } from "./elastic-ring.js";
export { DEFAULT_BUCKET_BITS, DEFAULT_TABLE_DEPTH, DEFAULT_WEIGHT, HashRing } from "./elastic-ring.js";
export type { HashRingErrorCode, HashRingErrorOptions } from "./errors.js";
export { HashRingError } from "./errors.js";
export type { SlotRange } from "./fixed-ring.js";
export { FixedRing, MAX_FIXED_RING_SIZE } from "./fixed-ring.js";
export {
  alternateHash,
  alternatePoint,
  HALF_HASH_SPACE,
  HASH_KEY_BYTES,
  HASH_SPACE_MAX,
  hash,
  hashPoint,
  routingHash,
  zeroKey,
} from "./plz-hash.js";
