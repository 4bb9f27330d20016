import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";

/** Metadata key carrying a peer's proof that it knows the cluster secret. */
export const PEER_AUTH_HEADER = "x-plz-cache-peer-auth";

/** How far apart two nodes' clocks may be for a token to be accepted. Default 5 min. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/** Most tokens remembered against replay; past it the oldest are forgotten early. */
export const MAX_REMEMBERED_NONCES = 1_000_000;

/**
 * Peer authentication without TLS: each node-to-node call carries
 * `v2.<unix ms>.<nonce>.<HMAC-SHA256(key, "v2|<method path>|<unix ms>|<nonce>")>`, the key
 * derived from the cluster secret with HKDF-SHA256 (info `plz-cache peer auth v1`), so the
 * secret itself never crosses the wire. A token is good for one method, within the skew
 * window, once: the receiver remembers the nonces it accepted until their tokens expire, so a
 * captured token cannot be replayed. It does not protect what the call carries: on an
 * untrusted network use TLS with `--cluster_certs`.
 */
export class PeerAuth {
  readonly #key: Buffer;
  readonly #maxSkewMs: number;
  readonly #now: () => number;
  /** Accepted nonces, in acceptance order, with the time until which they are remembered. */
  readonly #seen = new Map<string, number>();

  constructor(secret: string, opts: { maxSkewMs?: number; now?: () => number } = {}) {
    this.#key = Buffer.from(hkdfSync("sha256", secret, "plz-cache", "plz-cache peer auth v1", 32));
    this.#maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.#now = opts.now ?? Date.now;
  }

  #mac(path: string, ts: string, nonce: string): Buffer {
    return createHmac("sha256", this.#key).update(`v2|${path}|${ts}|${nonce}`).digest();
  }

  token(path: string): string {
    const ts = String(this.#now());
    const nonce = randomBytes(16).toString("hex");
    return `v2.${ts}.${nonce}.${this.#mac(path, ts, nonce).toString("hex")}`;
  }

  /** Metadata for one call to `path` (e.g. `/proto.rpc_cache.RpcServer/Replicate`). */
  metadata(path: string): Metadata {
    const md = new Metadata();
    md.set(PEER_AUTH_HEADER, this.token(path));
    return md;
  }

  verify(path: string, token: string | undefined): boolean {
    if (!token) return false;
    const m = /^v2\.(\d{1,16})\.([0-9a-f]{32})\.([0-9a-f]{64})$/.exec(token);
    if (!m) return false;
    const [, ts, nonce, mac] = m as unknown as [string, string, string, string];
    const now = this.#now();
    if (Math.abs(now - Number(ts)) > this.#maxSkewMs) return false;
    if (!timingSafeEqual(this.#mac(path, ts, nonce), Buffer.from(mac, "hex"))) return false;
    this.#forgetExpired(now);
    if (this.#seen.has(nonce)) return false;
    // The token stays acceptable until ts + skew <= now + 2 x skew: remember it that long.
    this.#seen.set(nonce, now + 2 * this.#maxSkewMs);
    return true;
  }

  #forgetExpired(now: number): void {
    for (const [nonce, until] of this.#seen) {
      if (until > now && this.#seen.size < MAX_REMEMBERED_NONCES) break;
      this.#seen.delete(nonce);
    }
  }
}
