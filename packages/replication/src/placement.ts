/**
 * Where the copies of a key go, seen from the node that just stored it. Peers are named by
 * node name (nodes restart under the same name, so queued work for a name stays valid).
 */
import type { FixedRing, HashRing } from "@plz-cache/hashring";

export interface Placement {
  /**
   * The peers that should receive a copy of a store of request hash `hash` made on this
   * node, without this node; `[]` when every copy is here (a 1-slot ring, say).
   */
  replicaTargets(hash: Uint8Array): string[];
  /** The peers a delete is forwarded to: every other member. */
  deleteTargets(): string[];
}

export interface FixedPlacementOptions {
  /** The cluster's fixed ring. */
  readonly ring: FixedRing;
  /** This node's slot. */
  readonly self: number;
  /**
   * The name of the node holding `slot` now, or `undefined` while the slot is free. Read on
   * every call, so it follows joins and restarts. Ops for a free slot are not sent or queued:
   * the node that later takes the slot pulls its range with repair.
   */
  readonly nodeAt: (slot: number) => string | undefined;
}

/**
 * The original's placement (spec §4), replication factor 2: a key's copies live on the owner
 * of `hash(h)` and on the owner of `alternateHash(h)`. A store that lands on the owner is
 * copied to the alternate owner; one that lands on the alternate owner (the client's retry
 * when the owner failed) is copied to the owner. The one extension: a store that lands on
 * neither (a client with a stale member list) is copied to both, where the original sent it
 * to the owner only.
 */
export class FixedPlacement implements Placement {
  readonly #ring: FixedRing;
  readonly #self: number;
  readonly #nodeAt: (slot: number) => string | undefined;

  constructor(options: FixedPlacementOptions) {
    const { ring, self } = options;
    if (!Number.isInteger(self) || self < 0 || self >= ring.size) {
      throw new RangeError(`self must be a slot in [0, ${ring.size}), got ${self}`);
    }
    this.#ring = ring;
    this.#self = self;
    this.#nodeAt = options.nodeAt;
  }

  /** The slots (not names) that should receive a copy; `[]` when both copies are here. */
  replicaSlots(hash: Uint8Array): number[] {
    const owner = this.#ring.ownerSlot(hash);
    const alternate = this.#ring.alternateSlot(hash);
    const out: number[] = [];
    if (owner !== this.#self) out.push(owner);
    if (alternate !== this.#self && alternate !== owner) out.push(alternate);
    return out;
  }

  replicaTargets(hash: Uint8Array): string[] {
    return this.#names(this.replicaSlots(hash));
  }

  deleteTargets(): string[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.#ring.size; slot++) if (slot !== this.#self) slots.push(slot);
    return this.#names(slots);
  }

  #names(slots: readonly number[]): string[] {
    const selfName = this.#nodeAt(this.#self);
    const out: string[] = [];
    for (const slot of slots) {
      const name = this.#nodeAt(slot);
      if (name !== undefined && name !== selfName && !out.includes(name)) out.push(name);
    }
    return out;
  }
}

/** Default number of copies of a key in elastic mode, this node's included. */
export const DEFAULT_REPLICAS = 2;

export interface ElasticPlacementOptions {
  /** The elastic ring of current members (mutated by the app as members come and go). */
  readonly ring: HashRing;
  /** This node's name on the ring. */
  readonly self: string;
  /** Copies of each key, this node's included: an integer >= 1. Default {@link DEFAULT_REPLICAS}. */
  readonly replicas?: number;
}

/**
 * Elastic-mode placement (the future cluster): a key's copies live on
 * `ring.locate(hash, replicas)`; the targets are those nodes but this one. A store that lands
 * on a node outside the replica set is copied to all `replicas` of them.
 */
export class ElasticPlacement implements Placement {
  readonly replicas: number;
  readonly #ring: HashRing;
  readonly #self: string;

  constructor(options: ElasticPlacementOptions) {
    const replicas = options.replicas ?? DEFAULT_REPLICAS;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be an integer >= 1, got ${replicas}`);
    }
    this.replicas = replicas;
    this.#ring = options.ring;
    this.#self = options.self;
  }

  replicaTargets(hash: Uint8Array): string[] {
    return this.#ring.locate(hash, this.replicas).filter((node) => node !== this.#self);
  }

  deleteTargets(): string[] {
    return this.#ring.nodes().filter((node) => node !== this.#self);
  }
}
