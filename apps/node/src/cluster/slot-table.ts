import { FixedRing } from "@plz-cache/hashring";
import type { Node } from "@plz-cache/protocol";

/** Who holds a slot of the fixed cluster. */
export interface SlotHolder {
  name: string;
  /** host:port of its gRPC server. */
  address: string;
}

/**
 * The fixed cluster's slots (spec §4, the original's `Cluster.AddNode`): `size` slots, each
 * held by a node name. A name keeps its slot across restarts (with its new address); a
 * newcomer gets the first free slot; when every slot is held by another name it gets none.
 */
export class SlotTable {
  readonly ring: FixedRing;
  readonly #slots: (SlotHolder | undefined)[];

  constructor(size: number, slots: (SlotHolder | undefined | null)[] = []) {
    this.ring = new FixedRing(size);
    this.#slots = Array.from({ length: size }, (_, i) => slots[i] ?? undefined);
  }

  get size(): number {
    return this.ring.size;
  }

  /** The slot for `name`: its own again, else the first free one; `undefined` when full. */
  assign(name: string, address: string): number | undefined {
    let slot = this.slotOf(name);
    if (slot === undefined) slot = this.#slots.indexOf(undefined);
    if (slot === undefined || slot < 0) return undefined;
    this.#slots[slot] = { name, address };
    return slot;
  }

  /** Records what another node says it holds (from gossip). Returns whether anything changed. */
  set(slot: number, holder: SlotHolder): boolean {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) return false;
    const current = this.#slots[slot];
    if (current?.name === holder.name && current.address === holder.address) return false;
    // A name lives in one slot only.
    const previous = this.slotOf(holder.name);
    if (previous !== undefined && previous !== slot) this.#slots[previous] = undefined;
    this.#slots[slot] = { ...holder };
    return true;
  }

  slotOf(name: string): number | undefined {
    const i = this.#slots.findIndex((s) => s?.name === name);
    return i < 0 ? undefined : i;
  }

  holder(slot: number): SlotHolder | undefined {
    return this.#slots[slot];
  }

  /** Every held slot as the wire's `Node`, in slot order, with its range. */
  nodes(): Node[] {
    const out: Node[] = [];
    this.#slots.forEach((s, i) => {
      if (!s) return;
      const r = this.ring.range(i);
      out.push({ name: s.name, address: s.address, hashBegin: r.begin, hashEnd: r.end });
    });
    return out;
  }

  toJSON(): { size: number; slots: (SlotHolder | null)[] } {
    return { size: this.size, slots: this.#slots.map((s) => s ?? null) };
  }

  static fromJSON(json: unknown): SlotTable {
    const j = json as { size?: unknown; slots?: unknown };
    if (typeof j?.size !== "number" || !Array.isArray(j.slots)) throw new Error("not a slot table");
    const slots = j.slots.map((s: unknown) => {
      const h = s as SlotHolder | null;
      return h && typeof h.name === "string" && typeof h.address === "string" ? h : undefined;
    });
    return new SlotTable(j.size, slots);
  }
}
