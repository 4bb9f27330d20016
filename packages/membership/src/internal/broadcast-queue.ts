/**
 * The transmit-limited broadcast queue (memberlist's TransmitLimitedQueue). Each queued
 * broadcast is one encoded message about one node; it is handed out, piggybacked on probes
 * and in gossip packets, until it has been sent `retransmitMult * ceil(log10(n + 1))` times.
 * Broadcasts sent fewer times go first, and among those the most recently queued (or
 * promoted to that count) first. Queueing news
 * about a node drops any older queued news about the same node.
 */
import { messageOverhead } from "./codec.js";

interface Item {
  readonly name: string;
  readonly msg: Uint8Array;
  /** Bytes it takes in a packet, length prefix included. */
  readonly cost: number;
  transmits: number;
  prev: Item | undefined;
  next: Item | undefined;
  readonly onDone: (() => void) | undefined;
}

interface Bucket {
  head: Item | undefined;
  tail: Item | undefined;
}

/** memberlist's retransmit limit: `retransmitMult * ceil(log10(n + 1))`. */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** The smallest room worth looking for another message in. */
const MIN_USEFUL_ROOM = 12;
/** Give up looking after this many messages that did not fit. */
const MAX_SKIPPED = 64;

export class BroadcastQueue {
  private readonly byName = new Map<string, Item>();
  private readonly buckets: Bucket[] = [];

  constructor(
    private readonly retransmitMult: number,
    private readonly numNodes: () => number,
  ) {}

  get size(): number {
    return this.byName.size;
  }

  /** The current per-broadcast transmit limit. */
  limit(): number {
    return Math.max(1, retransmitLimit(this.retransmitMult, this.numNodes()));
  }

  /**
   * Queues `msg` as the latest news about `name`, replacing older news about it. `onDone`
   * runs once when the broadcast has been sent its last time or was replaced or pruned.
   */
  queue(name: string, msg: Uint8Array, onDone?: () => void): void {
    const old = this.byName.get(name);
    if (old !== undefined) this.remove(old);
    const cost = msg.length + messageOverhead(msg.length);
    const item: Item = { name, msg, cost, transmits: 0, prev: undefined, next: undefined, onDone };
    this.byName.set(name, item);
    this.append(0, item);
  }

  /** True if news about `name` is still queued. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * Takes broadcasts that fit in `limitBytes` (length prefixes included), at most `maxCount`
   * of them, and counts one transmission for each.
   */
  take(limitBytes: number, maxCount: number): Uint8Array[] {
    const limit = this.limit();
    const picked: Item[] = [];
    let room = limitBytes;
    let skipped = 0;
    outer: for (let t = 0; t < this.buckets.length; t++) {
      let item = this.buckets[t]?.tail;
      while (item !== undefined) {
        const prev = item.prev;
        if (item.transmits >= limit) {
          this.remove(item);
        } else {
          if (item.cost <= room) {
            picked.push(item);
            room -= item.cost;
            if (picked.length >= maxCount || room < MIN_USEFUL_ROOM) break outer;
          } else if (++skipped >= MAX_SKIPPED) {
            break outer;
          }
        }
        item = prev;
      }
    }
    const out: Uint8Array[] = [];
    for (const item of picked) {
      out.push(item.msg);
      this.unlink(item);
      item.transmits++;
      if (item.transmits >= limit) {
        this.byName.delete(item.name);
        item.onDone?.();
      } else {
        this.append(item.transmits, item);
      }
    }
    return out;
  }

  /** Drops the most-transmitted broadcasts until at most `maxRetain` remain. */
  prune(maxRetain: number): void {
    for (let t = this.buckets.length - 1; t >= 0 && this.byName.size > maxRetain; t--) {
      let item = this.buckets[t]?.head;
      while (item !== undefined && this.byName.size > maxRetain) {
        const next = item.next;
        this.remove(item);
        item = next;
      }
    }
  }

  /** Empties the queue (calling every pending `onDone`). */
  clear(): void {
    for (const item of [...this.byName.values()]) this.remove(item);
  }

  private remove(item: Item): void {
    this.unlink(item);
    if (this.byName.get(item.name) === item) this.byName.delete(item.name);
    item.onDone?.();
  }

  private append(t: number, item: Item): void {
    while (this.buckets.length <= t) this.buckets.push({ head: undefined, tail: undefined });
    const b = this.buckets[t]!;
    item.prev = b.tail;
    item.next = undefined;
    if (b.tail !== undefined) b.tail.next = item;
    else b.head = item;
    b.tail = item;
  }

  private unlink(item: Item): void {
    const b = this.buckets[item.transmits];
    if (b === undefined) return;
    if (item.prev !== undefined) item.prev.next = item.next;
    else if (b.head === item) b.head = item.next;
    if (item.next !== undefined) item.next.prev = item.prev;
    else if (b.tail === item) b.tail = item.prev;
    item.prev = undefined;
    item.next = undefined;
  }
}
