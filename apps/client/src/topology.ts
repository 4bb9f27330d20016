/**
 * Who owns a key: the cluster's nodes and their hash ranges as `ListNodes` reported them, or,
 * for an unclustered server, that one server for every key.
 */
import { alternateHash, HASH_SPACE_MAX, hash } from "@plz-cache/hashring";
import type { NodeInfo } from "./types.js";

export class Topology {
  /** The nodes, sorted by `hashBegin` (empty when unclustered). */
  readonly nodes: readonly NodeInfo[];
  /** The server that answers every request when there are no nodes. */
  readonly server: NodeInfo;
  readonly #last: NodeInfo | undefined;

  private constructor(server: NodeInfo, nodes: readonly NodeInfo[]) {
    this.server = server;
    this.nodes = nodes;
    this.#last = nodes.reduce<NodeInfo | undefined>(
      (last, n) => (last === undefined || n.hashEnd >= last.hashEnd ? n : last),
      undefined,
    );
  }

  /** An unclustered server at `address`: it serves every key itself. */
  static unclustered(address: string): Topology {
    return new Topology({ name: address, address, hashBegin: 0, hashEnd: HASH_SPACE_MAX }, []);
  }

  /**
   * The topology `ListNodes` described. `server` (the address the client was given) serves every
   * key when the list is empty. Nodes without an address, or with an empty range, are dropped.
   */
  static fromNodes(server: string, nodes: readonly NodeInfo[]): Topology {
    const usable = nodes
      .filter((n) => n.address !== "" && n.hashEnd > n.hashBegin)
      .map((n) => ({
        name: n.name || n.address,
        address: n.address,
        hashBegin: n.hashBegin,
        hashEnd: n.hashEnd,
      }))
      .sort((a, b) => a.hashBegin - b.hashBegin || a.hashEnd - b.hashEnd);
    if (usable.length === 0) return Topology.unclustered(server);
    return new Topology({ name: server, address: server, hashBegin: 0, hashEnd: HASH_SPACE_MAX }, usable);
  }

  /** Whether the server reported a cluster (at least one node). */
  get clustered(): boolean {
    return this.nodes.length > 0;
  }

  /** Every distinct address requests can go to: the nodes', or the one server's. */
  addresses(): string[] {
    if (!this.clustered) return [this.server.address];
    return [...new Set(this.nodes.map((n) => n.address))];
  }

  /**
   * The node whose `[hashBegin, hashEnd)` holds `point`; the node with the last range also owns
   * 0xFFFFFFFF (which the original's half-open ranges gave to nobody). `undefined` when the point
   * falls in a gap (a slot whose node has not joined). Unclustered: the server.
   */
  ownerOf(point: number): NodeInfo | undefined {
    if (!this.clustered) return this.server;
    const nodes = this.nodes;
    // The last node with hashBegin <= point.
    let lo = 0;
    let hi = nodes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (nodes[mid]!.hashBegin <= point) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Ranges should not overlap; if they do, an earlier range may still hold the point.
    for (let i = found; i >= 0; i--) {
      const n = nodes[i]!;
      if (point < n.hashEnd) return n;
    }
    const last = this.#last;
    if (point === HASH_SPACE_MAX && last !== undefined && last.hashEnd === HASH_SPACE_MAX) return last;
    return undefined;
  }

  /**
   * Where a request for `key` goes, in order: the owner of `hash(key)`, then the owner of
   * `alternateHash(key)` (where the cluster keeps the second copy), without repeats and without
   * gaps. Unclustered: the server alone.
   *
   * @throws {HashRingError} when the key has fewer than 4 bytes.
   */
  route(key: Uint8Array): NodeInfo[] {
    if (!this.clustered) return [this.server];
    const out: NodeInfo[] = [];
    for (const point of [hash(key), alternateHash(key)]) {
      const n = this.ownerOf(point);
      if (n !== undefined && !out.some((o) => o.address === n.address)) out.push(n);
    }
    return out;
  }

  /** Whether two topologies route every key the same way. */
  equals(other: Topology): boolean {
    if (this.server.address !== other.server.address || this.nodes.length !== other.nodes.length)
      return false;
    return this.nodes.every((n, i) => {
      const o = other.nodes[i]!;
      return (
        n.address === o.address && n.hashBegin === o.hashBegin && n.hashEnd === o.hashEnd && n.name === o.name
      );
    });
  }
}
