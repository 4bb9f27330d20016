/**
 * The elastic ring: placement of keys on a changing set of weighted nodes, with up to `count`
 * distinct replicas per key.
 *
 * Algorithm: weighted rendezvous hashing evaluated over a fixed number of buckets, with a
 * precomputed table. A key hashes (MurmurHash3 x86_32, seed 0, over its bytes or its string's
 * UTF-8) to one of `2^bucketBits` buckets; each bucket orders the nodes by their rendezvous
 * score for that bucket (see `internal/rendezvous.ts`). The best `tableDepth` nodes of every
 * bucket are kept in a table that is updated incrementally on `add`/`remove`, so a lookup is a
 * hash and an array read. Deeper lookups (`count > tableDepth`) score the bucket's nodes on the
 * spot; the order is the same rendezvous order, so the two paths always agree.
 *
 * Because a bucket's order is a function of (bucket, name, weight) alone, the placement
 * depends only on the set of members, never on the order they were added in; a node joining
 * only takes buckets (and replica ranks) for itself; a node leaving only gives up its own.
 */
import { HashRingError } from "./errors.js";
import { murmur3Bytes, murmur3String } from "./internal/murmur3.js";
import { nodeSeedHi, nodeSeedLo, rendezvousScore } from "./internal/rendezvous.js";

/** Default log2 of the bucket count: 131072 buckets. */
export const DEFAULT_BUCKET_BITS = 17;
/** Default number of replica ranks precomputed per bucket. */
export const DEFAULT_TABLE_DEPTH = 3;
/** Default node weight. */
export const DEFAULT_WEIGHT = 1;

const MIN_BUCKET_BITS = 1;
const MAX_BUCKET_BITS = 22;
const MIN_TABLE_DEPTH = 1;
const MAX_TABLE_DEPTH = 8;

/** Murmur3 seed for keys. Fixed: changing it moves every key. */
const KEY_SEED = 0;

export interface HashRingOptions {
  /**
   * log2 of the number of buckets keys are hashed into, an integer in [1, 22]. Default 17
   * (131072 buckets). More buckets give a finer balance and cost memory and time on membership
   * changes. Part of the placement: every process must use the same value.
   */
  readonly bucketBits?: number;
  /**
   * How many replica ranks are precomputed per bucket, an integer in [1, 8]. Default 3.
   * Lookups with `count <= tableDepth` are table reads; deeper ones score the bucket's nodes on
   * the spot. Speed only: it never changes the answer.
   */
  readonly tableDepth?: number;
}

/** A member with an explicit weight. */
export interface HashRingMember {
  /** The node's name (any non-empty string; its UTF-8 bytes are what is hashed). */
  readonly node: string;
  /** The node's share, relative to the others: a finite number > 0. Default 1. */
  readonly weight?: number;
}

export class HashRing {
  /** log2 of {@link bucketCount}. */
  readonly bucketBits: number;
  /** Number of buckets keys are hashed into. */
  readonly bucketCount: number;
  /** Replica ranks precomputed per bucket. */
  readonly tableDepth: number;

  readonly #shift: number;
  /** Node id -> name / weight / seed halves. Ids are reused after removal. */
  readonly #names: string[] = [];
  readonly #weights: number[] = [];
  readonly #seedHi: number[] = [];
  readonly #seedLo: number[] = [];
  readonly #freeIds: number[] = [];
  /** Name -> id of the current members. */
  readonly #ids = new Map<string, number>();
  /** Ids of the current members, in no particular order. */
  readonly #live: number[] = [];
  /** Per bucket, `#fill` best (id, score) pairs, best first, at `bucket * tableDepth`. */
  readonly #tableIds: Int32Array;
  readonly #tableScores: Float64Array;
  /** Entries used per bucket: min(size, tableDepth). */
  #fill = 0;

  /**
   * @param members initial nodes, names or `{ node, weight }`; the same as calling `add` for each
   * @param options see {@link HashRingOptions}
   * @throws {HashRingError} `INVALID_OPTION`, `INVALID_NODE` or `INVALID_WEIGHT`.
   */
  constructor(members: Iterable<string | HashRingMember> = [], options: HashRingOptions = {}) {
    const bucketBits = options.bucketBits ?? DEFAULT_BUCKET_BITS;
    const tableDepth = options.tableDepth ?? DEFAULT_TABLE_DEPTH;
    assertIntegerOption("bucketBits", bucketBits, MIN_BUCKET_BITS, MAX_BUCKET_BITS);
    assertIntegerOption("tableDepth", tableDepth, MIN_TABLE_DEPTH, MAX_TABLE_DEPTH);
    this.bucketBits = bucketBits;
    this.bucketCount = 2 ** bucketBits;
    this.tableDepth = tableDepth;
    this.#shift = 32 - bucketBits;
    this.#tableIds = new Int32Array(this.bucketCount * tableDepth);
    this.#tableScores = new Float64Array(this.bucketCount * tableDepth);
    for (const member of members) {
      if (typeof member === "string") this.add(member);
      else this.add(member.node, member.weight);
    }
  }

  /** Number of member nodes. */
  get size(): number {
    return this.#live.length;
  }

  /** Whether `node` is a member. */
  has(node: string): boolean {
    return this.#ids.has(node);
  }

  /** The weight of `node`, or `undefined` when it is not a member. */
  weightOf(node: string): number | undefined {
    const id = this.#ids.get(node);
    return id === undefined ? undefined : this.#weights[id];
  }

  /** The member names, sorted (by UTF-16 code units), so equal rings list them equally. */
  nodes(): string[] {
    return [...this.#ids.keys()].sort(compareNames);
  }

  /**
   * Adds `node` with `weight`, or changes the weight of a member. Costs one score per bucket
   * (about 3 ms with the default 131072 buckets).
   *
   * @param weight a finite number > 0, default 1
   * @returns whether the placement changed (false when `node` was already a member with this weight)
   * @throws {HashRingError} `INVALID_NODE` or `INVALID_WEIGHT`.
   */
  add(node: string, weight: number = DEFAULT_WEIGHT): boolean {
    if (typeof node !== "string" || node.length === 0) {
      throw new HashRingError("INVALID_NODE", "a node name must be a non-empty string");
    }
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight <= 0) {
      throw new HashRingError("INVALID_WEIGHT", `a node weight must be a finite number > 0, got ${weight}`);
    }
    const current = this.#ids.get(node);
    if (current !== undefined) {
      if (this.#weights[current] === weight) return false;
      this.remove(node);
    }
    const id = this.#freeIds.pop() ?? this.#names.length;
    this.#names[id] = node;
    this.#weights[id] = weight;
    this.#seedHi[id] = nodeSeedHi(node);
    this.#seedLo[id] = nodeSeedLo(node);
    this.#ids.set(node, id);
    this.#live.push(id);
    this.#insertIntoTable(id);
    return true;
  }

  /**
   * Removes `node`. Only the buckets that ranked it in their first `tableDepth` are rescored
   * (about 12 ms for one of 100 nodes with the default 131072 buckets).
   *
   * @returns whether it was a member
   */
  remove(node: string): boolean {
    const id = this.#ids.get(node);
    if (id === undefined) return false;
    this.#ids.delete(node);
    const at = this.#live.indexOf(id);
    this.#live[at] = this.#live[this.#live.length - 1]!;
    this.#live.pop();
    this.#removeFromTable(id);
    this.#freeIds.push(id);
    return true;
  }

  /**
   * The nodes that hold `key`, primary first: up to `count` distinct nodes, all of them when
   * `count` is at least {@link size}, `[]` when the ring is empty or `count` is 0. A string and
   * a `Uint8Array` holding its UTF-8 bytes locate identically.
   *
   * @param count how many distinct nodes, a non-negative integer, default 1
   * @throws {HashRingError} `INVALID_COUNT`.
   */
  locate(key: Uint8Array | string, count = 1): string[] {
    const h = typeof key === "string" ? murmur3String(key, KEY_SEED) : murmur3Bytes(key, KEY_SEED);
    const bucket = h >>> this.#shift;
    if (count === 1 && this.#fill > 0) return [this.#names[this.#tableIds[bucket * this.tableDepth]!]!];
    return this.locateBucket(bucket, count);
  }

  /** The bucket `key` hashes to, in [0, {@link bucketCount}). */
  bucketOf(key: Uint8Array | string): number {
    const h = typeof key === "string" ? murmur3String(key, KEY_SEED) : murmur3Bytes(key, KEY_SEED);
    return h >>> this.#shift;
  }

  /**
   * The nodes of `bucket`, primary first, with the semantics of {@link locate}: every key in
   * the bucket has this placement (useful to hand data over bucket by bucket).
   *
   * @throws {HashRingError} `INVALID_OPTION` for a bucket out of range, `INVALID_COUNT`.
   */
  locateBucket(bucket: number, count = 1): string[] {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= this.bucketCount) {
      throw new HashRingError("INVALID_OPTION", `a bucket must be an integer in [0, ${this.bucketCount})`);
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new HashRingError("INVALID_COUNT", `count must be a non-negative integer, got ${count}`);
    }
    const size = this.#live.length;
    const wanted = Math.min(count, size);
    if (wanted <= this.#fill) {
      const out = new Array<string>(wanted);
      const base = bucket * this.tableDepth;
      for (let r = 0; r < wanted; r++) out[r] = this.#names[this.#tableIds[base + r]!]!;
      return out;
    }
    return this.#rankBucket(bucket, wanted);
  }

  /** The full rendezvous order of `bucket`, cut to `wanted` nodes. */
  #rankBucket(bucket: number, wanted: number): string[] {
    const ranked = this.#live.map((id) => ({ id, score: this.#score(id, bucket) }));
    ranked.sort((a, b) => (this.#better(a.score, a.id, b.score, b.id) ? -1 : 1));
    return ranked.slice(0, wanted).map((entry) => this.#names[entry.id]!);
  }

  #score(id: number, bucket: number): number {
    return rendezvousScore(this.#seedHi[id]!, this.#seedLo[id]!, this.#weights[id]!, bucket);
  }

  /** Whether (scoreA, idA) ranks before (scoreB, idB): higher score, then smaller name. */
  #better(scoreA: number, idA: number, scoreB: number, idB: number): boolean {
    return scoreA > scoreB || (scoreA === scoreB && this.#names[idA]! < this.#names[idB]!);
  }

  /** Inserts the new member `id` into every bucket's ranking (its size already counts it). */
  #insertIntoTable(id: number): void {
    const depth = this.tableDepth;
    const ids = this.#tableIds;
    const scores = this.#tableScores;
    const oldFill = this.#fill;
    const seedHi = this.#seedHi[id]!;
    const seedLo = this.#seedLo[id]!;
    const weight = this.#weights[id]!;
    const last = depth - 1;
    const bucketCount = this.bucketCount;
    for (let bucket = 0, base = 0; bucket < bucketCount; bucket++, base += depth) {
      const score = rendezvousScore(seedHi, seedLo, weight, bucket);
      let j = oldFill;
      if (oldFill === depth) {
        // The common case: the bucket is full and the newcomer does not beat its last entry.
        const worst = scores[base + last]!;
        if (score < worst || (score === worst && !this.#better(score, id, worst, ids[base + last]!)))
          continue;
        j = last;
      }
      while (j > 0 && this.#better(score, id, scores[base + j - 1]!, ids[base + j - 1]!)) {
        scores[base + j] = scores[base + j - 1]!;
        ids[base + j] = ids[base + j - 1]!;
        j -= 1;
      }
      scores[base + j] = score;
      ids[base + j] = id;
    }
    this.#fill = Math.min(this.#live.length, depth);
  }

  /** Takes the former member `id` out of every bucket's ranking (it is no longer in `#live`). */
  #removeFromTable(id: number): void {
    const depth = this.tableDepth;
    const ids = this.#tableIds;
    const scores = this.#tableScores;
    const oldFill = this.#fill;
    // When every node was in the table, dropping one leaves the rest in order; otherwise the
    // bucket needs its next-best node, which only a rescan can find.
    const rescan = this.#live.length >= depth;
    for (let bucket = 0, base = 0; bucket < this.bucketCount; bucket++, base += depth) {
      let r = 0;
      while (r < oldFill && ids[base + r] !== id) r += 1;
      if (r === oldFill) continue;
      if (rescan) {
        this.#rescanBucket(bucket, base);
      } else {
        for (; r < oldFill - 1; r++) {
          ids[base + r] = ids[base + r + 1]!;
          scores[base + r] = scores[base + r + 1]!;
        }
      }
    }
    this.#fill = Math.min(this.#live.length, depth);
  }

  /** Recomputes one bucket's table entries from all members (needs size >= tableDepth). */
  #rescanBucket(bucket: number, base: number): void {
    const depth = this.tableDepth;
    const ids = this.#tableIds;
    const scores = this.#tableScores;
    let filled = 0;
    for (const id of this.#live) {
      const score = this.#score(id, bucket);
      let j = filled;
      if (filled === depth) {
        j = depth - 1;
        if (!this.#better(score, id, scores[base + j]!, ids[base + j]!)) continue;
      } else {
        filled += 1;
      }
      while (j > 0 && this.#better(score, id, scores[base + j - 1]!, ids[base + j - 1]!)) {
        scores[base + j] = scores[base + j - 1]!;
        ids[base + j] = ids[base + j - 1]!;
        j -= 1;
      }
      scores[base + j] = score;
      ids[base + j] = id;
    }
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HashRingError("INVALID_OPTION", `${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
