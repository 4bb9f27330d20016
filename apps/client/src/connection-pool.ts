/**
 * One gRPC client per node address, opened on first use. A connection can be retired (its node
 * left the topology, or it failed and should be dialled afresh next time): new calls then get a
 * new connection, and the old one is closed once the calls still using it have finished.
 */
import type { RpcCacheClient } from "@plz-cache/protocol";

interface Entry {
  client: RpcCacheClient;
  inFlight: number;
  retired: boolean;
}

export class ConnectionPool {
  readonly #dial: (address: string) => RpcCacheClient;
  readonly #live = new Map<string, Entry>();
  readonly #retired = new Set<Entry>();
  #closed = false;

  constructor(dial: (address: string) => RpcCacheClient) {
    this.#dial = dial;
  }

  /** Runs `fn` with the connection to `address`, counting it as in flight meanwhile. */
  async use<T>(address: string, fn: (client: RpcCacheClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error("connection pool is closed");
    let entry = this.#live.get(address);
    if (entry === undefined) {
      entry = { client: this.#dial(address), inFlight: 0, retired: false };
      this.#live.set(address, entry);
    }
    entry.inFlight++;
    try {
      return await fn(entry.client);
    } finally {
      entry.inFlight--;
      if (entry.retired && entry.inFlight === 0) this.#closeEntry(entry);
    }
  }

  /** Retires the connection to `address`: the next call dials a new one. */
  retire(address: string): void {
    const entry = this.#live.get(address);
    if (entry === undefined) return;
    this.#live.delete(address);
    entry.retired = true;
    if (entry.inFlight === 0) this.#closeEntry(entry);
    else this.#retired.add(entry);
  }

  /** Retires every connection whose address is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const address of [...this.#live.keys()]) if (!keep.has(address)) this.retire(address);
  }

  /** Addresses with an open connection. */
  addresses(): string[] {
    return [...this.#live.keys()];
  }

  /** Closes every connection (calls in flight fail with CANCELLED or UNAVAILABLE). */
  close(): void {
    this.#closed = true;
    for (const entry of this.#live.values()) entry.client.close();
    for (const entry of this.#retired) entry.client.close();
    this.#live.clear();
    this.#retired.clear();
  }

  #closeEntry(entry: Entry): void {
    this.#retired.delete(entry);
    entry.client.close();
  }
}
